package org.jvmm.gdb;

import org.jvmm.core.kvm.DebugExit;

/** Why every vCPU of a {@link GdbTarget} stopped: the stub turns it into gdb's stop reply. */
public sealed interface StopEvent {

    /**
     * Stopped at the stub's request: at attach, or after {@link GdbTarget#interrupt()}.
     *
     * @param vcpu the vCPU gdb should show (the one that was running, or 0)
     */
    record Stopped(int vcpu) implements StopEvent {}

    /**
     * A vCPU made a {@code KVM_EXIT_DEBUG}: a breakpoint, watchpoint, single-step, or an
     * {@code int3} or {@code #DB} of the guest's own, which the stub hands back to the guest.
     *
     * @param vcpu the vCPU
     * @param exit what KVM reported
     */
    record Debug(int vcpu, DebugExit exit) implements StopEvent {}

    /**
     * A vCPU made an exit a {@link Catchpoint} matches; its registers show the guest at the
     * instruction that caused it.
     *
     * @param vcpu        the vCPU
     * @param catchpoint  the catchpoint that matched
     * @param description the exit, one line (shown in gdb), e.g. {@code "io out 0x3f8 size 1 value 0x48"}
     */
    record Caught(int vcpu, Catchpoint catchpoint, String description) implements StopEvent {}

    /**
     * A vCPU cannot go on: an emulation failure, a failed entry, a triple fault. Its registers are
     * still readable; gdb reports it as SIGSEGV.
     *
     * @param vcpu        the vCPU
     * @param description what KVM reported, one line
     */
    record Faulted(int vcpu, String description) implements StopEvent {}

    /**
     * The guest ended (its exit port, a shutdown): nothing is left to debug.
     *
     * @param status the exit status, 0 to 255
     */
    record Exited(int status) implements StopEvent {}
}
