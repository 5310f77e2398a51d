package org.jvmm.cli.trace;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** Any other exit that reached user space (HLT, INTR, SHUTDOWN, errors). */
@Name("org.jvmm.OtherExit")
@Label("Other Exit")
@Category({"jvmm", "VM Exits"})
@Description("An exit other than port I/O or MMIO that reached jvmm")
@StackTrace(false)
public final class OtherExitEvent extends jdk.jfr.Event {
    @Label("vCPU")
    int vcpu;
    @Label("Reason")
    String reason;
    @Label("Handling Time")
    @Timespan(Timespan.NANOSECONDS)
    long handlingTime;
}
