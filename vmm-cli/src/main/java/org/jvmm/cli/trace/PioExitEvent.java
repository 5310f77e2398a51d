package org.jvmm.cli.trace;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A port-I/O exit handled in user space. */
@Name("org.jvmm.PioExit")
@Label("PIO Exit")
@Category({"jvmm", "VM Exits"})
@Description("A port-I/O exit: KVM_RUN returned KVM_EXIT_IO and jvmm emulated the access")
@StackTrace(false)
public final class PioExitEvent extends jdk.jfr.Event {
    @Label("vCPU")
    int vcpu;
    @Label("Port")
    int port;
    @Label("Size")
    int size;
    @Label("Count")
    @Description("Accesses in this exit (more than 1 for string I/O)")
    int count;
    @Label("Write")
    boolean write;
    @Label("Handling Time")
    @Timespan(Timespan.NANOSECONDS)
    long handlingTime;
}
