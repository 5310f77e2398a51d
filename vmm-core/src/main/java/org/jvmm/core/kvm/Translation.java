package org.jvmm.core.kvm;

/**
 * Where a guest linear (virtual) address lands in guest-physical memory for one vCPU, from
 * {@code KVM_TRANSLATE} ({@code struct kvm_translation}) or a walk of the guest's page tables.
 *
 * @param linearAddress   the address translated
 * @param physicalAddress the guest-physical address; meaningless unless {@code valid}
 * @param valid           whether the address is mapped
 * @param writeable       whether the guest may write there (KVM_TRANSLATE always says true)
 * @param usermode        whether ring 3 may access it (KVM_TRANSLATE always says false)
 */
public record Translation(long linearAddress, long physicalAddress, boolean valid, boolean writeable,
                          boolean usermode) {

    /**
     * An unmapped address.
     *
     * @param linearAddress the address
     * @return the translation, not valid
     */
    public static Translation unmapped(long linearAddress) {
        return new Translation(linearAddress, 0, false, false, false);
    }
}
