/**
 * jvmm's GDB remote stub: the GDB Remote Serial Protocol as gdb 13 speaks it, over a machine's
 * vCPUs seen through {@link org.jvmm.gdb.GdbTarget}. vCPUs are threads, breakpoints and watchpoints
 * go into the debug registers, software breakpoints through {@code KVM_GUESTDBG_USE_SW_BP}, and
 * {@code monitor catch} stops the guest on VM exits. The protocol side depends on vmm-core
 * only; {@link org.jvmm.gdb.MachineTarget} is the target over vmm-machine's machine, and a front
 * end starts the {@link org.jvmm.gdb.GdbServer}.
 */
module org.jvmm.gdb {
    requires transitive org.jvmm.core;
    requires transitive org.jvmm.machine;

    exports org.jvmm.gdb;
}
