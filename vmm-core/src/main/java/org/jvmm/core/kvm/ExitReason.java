package org.jvmm.core.kvm;

/**
 * Why {@code KVM_RUN} returned: the {@code exit_reason} field of {@code kvm_run}. Codes this enum
 * does not know decode to {@link #UNSUPPORTED}; the raw code stays readable from {@link KvmRun}.
 */
public enum ExitReason {
    /** KVM_EXIT_UNKNOWN: the hardware exit reason is in {@code hw}. */
    UNKNOWN(0),
    /** KVM_EXIT_EXCEPTION. */
    EXCEPTION(1),
    /** KVM_EXIT_IO: port I/O, possibly a string instruction with count &gt; 1. */
    IO(2),
    /** KVM_EXIT_HYPERCALL. */
    HYPERCALL(3),
    /** KVM_EXIT_DEBUG: single-step or a hardware breakpoint. */
    DEBUG(4),
    /** KVM_EXIT_HLT: the guest halted and no in-kernel LAPIC waits for it. */
    HLT(5),
    /** KVM_EXIT_MMIO: an access to guest-physical memory that no slot maps. */
    MMIO(6),
    /** KVM_EXIT_IRQ_WINDOW_OPEN. */
    IRQ_WINDOW_OPEN(7),
    /** KVM_EXIT_SHUTDOWN: a triple fault. */
    SHUTDOWN(8),
    /** KVM_EXIT_FAIL_ENTRY: the CPU refused to enter the guest. */
    FAIL_ENTRY(9),
    /** KVM_EXIT_INTR: a signal or {@code immediate_exit} interrupted the run. */
    INTR(10),
    /** KVM_EXIT_SET_TPR. */
    SET_TPR(11),
    /** KVM_EXIT_TPR_ACCESS. */
    TPR_ACCESS(12),
    /** KVM_EXIT_NMI. */
    NMI(16),
    /** KVM_EXIT_INTERNAL_ERROR: e.g. emulation failure, with suberror and data words. */
    INTERNAL_ERROR(17),
    /** KVM_EXIT_SYSTEM_EVENT: shutdown, reset or crash requested through the platform. */
    SYSTEM_EVENT(24),
    /** KVM_EXIT_IOAPIC_EOI. */
    IOAPIC_EOI(26),
    /** KVM_EXIT_X86_RDMSR. */
    X86_RDMSR(29),
    /** KVM_EXIT_X86_WRMSR. */
    X86_WRMSR(30),
    /** KVM_EXIT_DIRTY_RING_FULL. */
    DIRTY_RING_FULL(31),
    /** KVM_EXIT_X86_BUS_LOCK. */
    X86_BUS_LOCK(33),
    /** KVM_EXIT_NOTIFY. */
    NOTIFY(37),
    /** KVM_EXIT_MEMORY_FAULT. */
    MEMORY_FAULT(39),
    /** Any code this enum does not name. */
    UNSUPPORTED(-1);

    private static final ExitReason[] BY_CODE = new ExitReason[64];

    static {
        for (ExitReason reason : values()) {
            if (reason.code >= 0) {
                BY_CODE[reason.code] = reason;
            }
        }
    }

    private final int code;

    ExitReason(int code) {
        this.code = code;
    }

    /** {@return the kernel's code, -1 for UNSUPPORTED} */
    public int code() {
        return code;
    }

    /**
     * Decodes a raw exit reason without allocating.
     *
     * @param code the {@code exit_reason} field
     * @return the reason, or UNSUPPORTED
     */
    public static ExitReason of(int code) {
        ExitReason reason = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        return reason == null ? UNSUPPORTED : reason;
    }

    /**
     * A name for reports: the enum name, or {@code "unsupported N"} for unknown codes.
     *
     * @param code the raw code
     * @return the name
     */
    public static String describe(int code) {
        ExitReason reason = of(code);
        return reason == UNSUPPORTED ? "unsupported " + code : reason.name();
    }
}
