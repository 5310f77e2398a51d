package org.jvmm.cli.trace;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** An MMIO exit handled in user space. */
@Name("org.jvmm.MmioExit")
@Label("MMIO Exit")
@Category({"jvmm", "VM Exits"})
@Description("An MMIO exit: KVM_RUN returned KVM_EXIT_MMIO and jvmm emulated the access")
@StackTrace(false)
public final class MmioExitEvent extends jdk.jfr.Event {
    @Label("vCPU")
    int vcpu;
    @Label("Address")
    long address;
    @Label("Size")
    int size;
    @Label("Write")
    boolean write;
    @Label("Handling Time")
    @Timespan(Timespan.NANOSECONDS)
    long handlingTime;
}
