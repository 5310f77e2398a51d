package org.jvmm.core.memory;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One contiguous range of guest-physical memory and the host memory behind it. The segment is the
 * very memory registered with KVM, so reads and writes through it need no copy.
 *
 * @param base  guest-physical address of the first byte
 * @param memory host memory backing the region; its size is the region's size
 */
public record GuestRegion(long base, MemorySegment memory) {

    /**
     * Checks the region does not wrap around the top of the address space.
     *
     * @param base  guest-physical address of the first byte
     * @param memory host memory backing the region
     */
    public GuestRegion {
        Objects.requireNonNull(memory, "memory");
        if (memory.byteSize() == 0) {
            throw new IllegalArgumentException("empty guest region at 0x" + Long.toHexString(base));
        }
        if (Long.compareUnsigned(base + memory.byteSize() - 1, base) < 0) {
            throw new IllegalArgumentException("guest region at 0x" + Long.toHexString(base) + " wraps past 2^64");
        }
    }

    /** {@return the size in bytes} */
    public long size() {
        return memory.byteSize();
    }

    /** {@return the guest-physical address one past the last byte (0 if the region ends at 2^64)} */
    public long end() {
        return base + memory.byteSize();
    }

    /**
     * Whether {@code length} bytes at {@code address} lie inside this region.
     *
     * @param address guest-physical address
     * @param length  number of bytes
     * @return true if the whole range is inside
     */
    public boolean contains(long address, long length) {
        long offset = address - base;
        return Long.compareUnsigned(offset, size()) < 0 && Long.compareUnsigned(length, size() - offset) <= 0;
    }
}
