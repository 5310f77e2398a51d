package org.jvmm.core.memory;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Guest-physical memory as devices and loaders see it. Every access is checked against the regions
 * and a miss raises {@link GuestMemoryException} naming the guest address; nothing outside the
 * regions is ever read or written. Values are little-endian and may be unaligned, except the
 * acquire/release accessors, which need natural alignment (a virtqueue checks that once, at setup).
 *
 * <p>Implementations are thread-safe in the sense of the Java memory model for plain accesses: the
 * memory is shared with the guest, which may change it at any time, so callers read each field
 * once and validate the value they read.
 *
 * <p>A sealed class rather than an interface: with {@link RegionGuestMemory} its only
 * implementation, every call a device makes is bound to it by class-hierarchy analysis and inlined,
 * so an access costs little more than the segment access itself (docs/performance.md).
 */
public sealed abstract class GuestMemory permits RegionGuestMemory {

    GuestMemory() {
    }

    /** {@return the regions, sorted by base address and non-overlapping} */
    public abstract List<GuestRegion> regions();

    /**
     * Whether {@code length} bytes at {@code address} lie inside a single region.
     *
     * @param address guest-physical address
     * @param length  number of bytes
     * @return true if {@link #slice} would succeed
     */
    public abstract boolean isValid(long address, long length);

    /**
     * A view of {@code length} bytes of guest memory at {@code address}: the guest's own memory, no
     * copy. The range must lie inside one region.
     *
     * @param address guest-physical address
     * @param length  number of bytes
     * @return a segment over exactly those bytes
     * @throws GuestMemoryException if the range is not inside one region
     */
    public abstract MemorySegment slice(long address, long length);

    /**
     * Reads one byte.
     *
     * @param address guest-physical address
     * @return the byte
     * @throws GuestMemoryException if the address is outside the regions
     */
    public abstract byte readByte(long address);

    /**
     * Reads a little-endian 16-bit value.
     *
     * @param address guest-physical address
     * @return the value
     * @throws GuestMemoryException if the range is outside the regions
     */
    public abstract short readShort(long address);

    /**
     * Reads a little-endian 32-bit value.
     *
     * @param address guest-physical address
     * @return the value
     * @throws GuestMemoryException if the range is outside the regions
     */
    public abstract int readInt(long address);

    /**
     * Reads a little-endian 64-bit value.
     *
     * @param address guest-physical address
     * @return the value
     * @throws GuestMemoryException if the range is outside the regions
     */
    public abstract long readLong(long address);

    /**
     * Writes one byte.
     *
     * @param address guest-physical address
     * @param value   the byte
     * @throws GuestMemoryException if the address is outside the regions
     */
    public abstract void writeByte(long address, byte value);

    /**
     * Writes a little-endian 16-bit value.
     *
     * @param address guest-physical address
     * @param value   the value
     * @throws GuestMemoryException if the range is outside the regions
     */
    public abstract void writeShort(long address, short value);

    /**
     * Writes a little-endian 32-bit value.
     *
     * @param address guest-physical address
     * @param value   the value
     * @throws GuestMemoryException if the range is outside the regions
     */
    public abstract void writeInt(long address, int value);

    /**
     * Writes a little-endian 64-bit value.
     *
     * @param address guest-physical address
     * @param value   the value
     * @throws GuestMemoryException if the range is outside the regions
     */
    public abstract void writeLong(long address, long value);

    /**
     * Reads a 16-bit value with acquire semantics: later reads see what the guest wrote before it
     * published this value (a ring index).
     *
     * @param address guest-physical address, 2-byte aligned
     * @return the value
     * @throws GuestMemoryException if the range is outside the regions or misaligned
     */
    public abstract short readShortAcquire(long address);

    /**
     * Writes a 16-bit value with release semantics: the guest that sees it also sees every earlier
     * write (a ring index published after its entries).
     *
     * @param address guest-physical address, 2-byte aligned
     * @param value   the value
     * @throws GuestMemoryException if the range is outside the regions or misaligned
     */
    public abstract void writeShortRelease(long address, short value);

    /**
     * Copies guest memory into {@code destination}.
     *
     * @param address     guest-physical address of the first byte
     * @param destination where the bytes go; its size is the length
     * @throws GuestMemoryException if the range is not inside one region
     */
    public void read(long address, MemorySegment destination) {
        MemorySegment.copy(slice(address, destination.byteSize()), 0, destination, 0, destination.byteSize());
    }

    /**
     * Copies {@code source} into guest memory.
     *
     * @param address guest-physical address of the first byte
     * @param source  the bytes; its size is the length
     * @throws GuestMemoryException if the range is not inside one region
     */
    public void write(long address, MemorySegment source) {
        MemorySegment.copy(source, 0, slice(address, source.byteSize()), 0, source.byteSize());
    }

    /**
     * Copies a byte array into guest memory.
     *
     * @param address guest-physical address of the first byte
     * @param bytes   the bytes
     * @throws GuestMemoryException if the range is not inside one region
     */
    public void write(long address, byte[] bytes) {
        write(address, MemorySegment.ofArray(bytes));
    }

    /** {@return the total size of all regions in bytes} */
    public long totalSize() {
        long total = 0;
        for (GuestRegion region : regions()) {
            total += region.size();
        }
        return total;
    }
}
