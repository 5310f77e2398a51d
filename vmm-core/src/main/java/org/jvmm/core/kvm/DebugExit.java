package org.jvmm.core.kvm;

/**
 * A KVM_EXIT_DEBUG as KVM describes it ({@code struct kvm_debug_exit_arch}): which exception
 * brought the vCPU out, where, and the debug-status and debug-control registers at that moment.
 *
 * <p>KVM fills DR6 with the architectural active-low bits set, so only {@link #breakpointsHit()}
 * and {@link #singleStep()} carry information. For a #BP (an {@code int3} under
 * {@link GuestDebug#USE_SW_BP}) {@link #pc()} is the address of the {@code int3} itself, not the
 * next instruction.
 *
 * @param exception the vector: {@link #DB_VECTOR} for breakpoints, watchpoints and single-step,
 *                  {@link #BP_VECTOR} for an {@code int3}
 * @param pc        the linear address of the instruction (CS base + rip)
 * @param dr6       DR6: bits 0-3 say which debug-register slot triggered, bit 14 single-step
 * @param dr7       DR7 in force when it happened
 */
public record DebugExit(int exception, long pc, long dr6, long dr7) {

    /** The debug exception (#DB): hardware breakpoints, watchpoints, single-step. */
    public static final int DB_VECTOR = 1;
    /** The breakpoint exception (#BP): {@code int3}. */
    public static final int BP_VECTOR = 3;
    /** DR6.BS: the exception came from single-stepping. */
    public static final long DR6_SINGLE_STEP = 1L << 14;

    /**
     * Reads the exit from {@code kvm_run}. Meaningful only after {@link ExitReason#DEBUG}.
     *
     * @param run the vCPU's {@code kvm_run}
     * @return the decoded exit
     */
    public static DebugExit of(KvmRun run) {
        return new DebugExit(run.debugException(), run.debugPc(), run.debugDr6(), run.debugDr7());
    }

    /** {@return the debug-register slots (bit n = DRn) whose condition was met; 0 for a #BP} */
    public int breakpointsHit() {
        return exception == DB_VECTOR ? (int) (dr6 & 0xf) : 0;
    }

    /** {@return whether a single-step trap is among the causes} */
    public boolean singleStep() {
        return exception == DB_VECTOR && (dr6 & DR6_SINGLE_STEP) != 0;
    }

    /** {@return whether an {@code int3} brought the vCPU out} */
    public boolean softwareBreakpoint() {
        return exception == BP_VECTOR;
    }
}
