package org.jvmm.core.bus;

/**
 * A range of port or MMIO addresses, {@code [base, base + size)}.
 *
 * @param base first address
 * @param size number of addresses, at least 1
 */
public record AddressRange(long base, long size) {

    /**
     * Validates the range.
     *
     * @param base first address
     * @param size number of addresses
     */
    public AddressRange {
        if (size <= 0) {
            throw new IllegalArgumentException("address range size must be positive: " + size);
        }
        if (Long.compareUnsigned(base + size - 1, base) < 0) {
            throw new IllegalArgumentException("address range at 0x" + Long.toHexString(base) + " wraps past 2^64");
        }
    }

    /** {@return the last address inside the range} */
    public long last() {
        return base + size - 1;
    }

    /**
     * Whether {@code address} is inside the range.
     *
     * @param address an address
     * @return true if inside
     */
    public boolean contains(long address) {
        return Long.compareUnsigned(address - base, size) < 0;
    }

    /**
     * Whether the two ranges share an address.
     *
     * @param other another range
     * @return true if they overlap
     */
    public boolean overlaps(AddressRange other) {
        return Long.compareUnsigned(base, other.last()) <= 0 && Long.compareUnsigned(other.base, last()) <= 0;
    }

    @Override
    public String toString() {
        return "0x" + Long.toHexString(base) + "-0x" + Long.toHexString(last());
    }
}
