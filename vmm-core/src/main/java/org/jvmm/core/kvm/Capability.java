package org.jvmm.core.kvm;

/** KVM capabilities jvmm checks with {@code KVM_CHECK_EXTENSION}. */
public enum Capability {
    /** KVM_CAP_IRQCHIP: the in-kernel PIC/IOAPIC/LAPIC. */
    IRQCHIP(0),
    /** KVM_CAP_HLT. */
    HLT(1),
    /** KVM_CAP_USER_MEMORY. */
    USER_MEMORY(3),
    /** KVM_CAP_SET_TSS_ADDR. */
    SET_TSS_ADDR(4),
    /** KVM_CAP_NR_VCPUS: recommended maximum vCPUs. */
    NR_VCPUS(9),
    /** KVM_CAP_NR_MEMSLOTS. */
    NR_MEMSLOTS(10),
    /** KVM_CAP_COALESCED_MMIO. */
    COALESCED_MMIO(15),
    /** KVM_CAP_SET_GUEST_DEBUG. */
    SET_GUEST_DEBUG(23),
    /** KVM_CAP_IRQFD. */
    IRQFD(32),
    /** KVM_CAP_PIT2. */
    PIT2(33),
    /** KVM_CAP_IOEVENTFD. */
    IOEVENTFD(36),
    /** KVM_CAP_MAX_VCPUS. */
    MAX_VCPUS(66),
    /** KVM_CAP_IMMEDIATE_EXIT. */
    IMMEDIATE_EXIT(136),
    /** KVM_CAP_SET_GUEST_DEBUG2: the KVM_GUESTDBG_* flags this KVM accepts, as a bit mask. */
    SET_GUEST_DEBUG2(195),
    /** KVM_CAP_BINARY_STATS_FD. */
    BINARY_STATS_FD(203);

    private final int code;

    Capability(int code) {
        this.code = code;
    }

    /** {@return the kernel's KVM_CAP_* number} */
    public int code() {
        return code;
    }
}
