package org.jvmm.core.memory;

/**
 * A guest-physical address. Only a name for a {@code long}: hot paths pass plain longs, APIs that
 * are called once use this type so a host offset cannot be passed where a guest address is meant.
 *
 * @param value the address, unsigned
 */
public record GuestAddress(long value) implements Comparable<GuestAddress> {

    /**
     * Returns the address {@code offset} bytes further on.
     *
     * @param offset bytes to add
     * @return the new address
     * @throws ArithmeticException if the sum wraps past 2^64
     */
    public GuestAddress plus(long offset) {
        long sum = value + offset;
        if (Long.compareUnsigned(sum, value) < 0) {
            throw new ArithmeticException("guest address overflow: " + this + " + " + offset);
        }
        return new GuestAddress(sum);
    }

    @Override
    public int compareTo(GuestAddress other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return "0x" + Long.toHexString(value);
    }
}
