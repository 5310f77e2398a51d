package org.jvmm.core.kvm;

/**
 * One counter described by KVM's binary stats fd ({@code struct kvm_stats_desc}). jvmm reports what
 * the descriptors say instead of assuming a name means what it says on every host.
 *
 * @param name     the counter's name, e.g. {@code "exits"}
 * @param type     KVM_STATS_TYPE_*: 0 cumulative, 1 instant, 2 peak, 3 linear histogram, 4 log histogram
 * @param unit     KVM_STATS_UNIT_*: 0 none, 1 bytes, 2 seconds, 3 cycles, 4 boolean
 * @param base     KVM_STATS_BASE_*: 0 power of 10, 1 power of 2
 * @param exponent the value is {@code raw * base^exponent} in the unit
 * @param size     number of 64-bit values (1, or the bucket count of a histogram)
 * @param offset   offset of the values in the data block
 */
public record StatDescriptor(String name, int type, int unit, int base, int exponent, int size, int offset) {

    /** {@return whether the counter only grows (KVM_STATS_TYPE_CUMULATIVE)} */
    public boolean cumulative() {
        return type == 0;
    }

    /** {@return whether the counter is a histogram} */
    public boolean histogram() {
        return type == 3 || type == 4;
    }
}
