package org.jvmm.core.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@link GuestMemory} over a fixed set of regions, each backed by any memory segment: the mmap'ed
 * RAM of a VM, or a plain arena segment in a test. The regions are validated once (sorted,
 * non-overlapping); lookups scan a few parallel arrays and allocate nothing.
 */
public final class RegionGuestMemory extends GuestMemory {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final VarHandle SHORT_ATOMIC = ValueLayout.JAVA_SHORT.varHandle();

    private final List<GuestRegion> regions;
    private final long[] bases;
    private final long[] sizes;
    private final MemorySegment[] segments;
    // Region 0 again, in fields: most accesses hit it (all of them below 3 GiB of RAM), and fields
    // save the JIT the array loads and their range checks of the general lookup.
    private final long firstBase;
    private final MemorySegment firstSegment;
    private final long firstHostAddress;
    // How many offsets into region 0 can start a value of 1, 2, 4 and 8 bytes: the bounds of the
    // fast path's single unsigned compare, 0 (nothing fits) for a region shorter than the value.
    private final long firstFitsByte;
    private final long firstFitsShort;
    private final long firstFitsInt;
    private final long firstFitsLong;

    /**
     * Creates guest memory from regions given in any order.
     *
     * @param regions the regions
     * @throws IllegalArgumentException if there are none or two overlap
     */
    public RegionGuestMemory(List<GuestRegion> regions) {
        if (regions.isEmpty()) {
            throw new IllegalArgumentException("guest memory needs at least one region");
        }
        List<GuestRegion> sorted = new ArrayList<>(regions);
        sorted.sort(Comparator.comparing(r -> new GuestAddress(r.base())));
        for (int i = 1; i < sorted.size(); i++) {
            GuestRegion previous = sorted.get(i - 1);
            GuestRegion next = sorted.get(i);
            if (previous.end() == 0 || Long.compareUnsigned(previous.end(), next.base()) > 0) {
                throw new IllegalArgumentException("guest regions overlap: " + describe(previous) + " and " + describe(next));
            }
        }
        this.regions = List.copyOf(sorted);
        this.bases = new long[sorted.size()];
        this.sizes = new long[sorted.size()];
        this.segments = new MemorySegment[sorted.size()];
        for (int i = 0; i < sorted.size(); i++) {
            bases[i] = sorted.get(i).base();
            sizes[i] = sorted.get(i).size();
            segments[i] = sorted.get(i).memory();
        }
        this.firstBase = bases[0];
        this.firstSegment = segments[0];
        this.firstHostAddress = segments[0].address();
        this.firstFitsByte = fits(sizes[0], Byte.BYTES);
        this.firstFitsShort = fits(sizes[0], Short.BYTES);
        this.firstFitsInt = fits(sizes[0], Integer.BYTES);
        this.firstFitsLong = fits(sizes[0], Long.BYTES);
    }

    private static String describe(GuestRegion region) {
        return "[0x" + Long.toHexString(region.base()) + ", 0x" + Long.toHexString(region.end()) + ")";
    }

    @Override
    public List<GuestRegion> regions() {
        return regions;
    }

    /** {@return how many offsets into {@code size} bytes can start a value of {@code width} bytes} */
    private static long fits(long size, int width) {
        return Math.max(size - width + 1, 0);
    }

    /**
     * The fast path's check: whether {@code offset} into region 0 is one of the {@code fits} offsets
     * where the value lies inside it. One unsigned compare, which also refuses an address below
     * region 0 (its offset wraps to a huge one), in the form of the segment's own bounds check.
     */
    private static boolean inFirst(long offset, long fits) {
        return Long.compareUnsigned(offset, fits) < 0;
    }

    /** Whether {@code offset} into region 0 is on a {@code width}-byte boundary of the host memory. */
    private boolean alignedInFirst(long offset, int width) {
        // The host segment is page aligned, so guest alignment is host alignment.
        return ((firstHostAddress + offset) & (width - 1)) == 0;
    }

    /** Index of the region holding the whole range, or -1. */
    private int find(long address, long length) {
        for (int i = 0; i < bases.length; i++) {
            long offset = address - bases[i];
            if (Long.compareUnsigned(offset, sizes[i]) < 0) {
                return Long.compareUnsigned(length, sizes[i] - offset) <= 0 ? i : -1;
            }
        }
        return -1;
    }

    private int require(long address, long length) {
        int index = find(address, length);
        if (index < 0) {
            throw new GuestMemoryException(address, length);
        }
        return index;
    }

    @Override
    public boolean isValid(long address, long length) {
        return find(address, length) >= 0;
    }

    @Override
    public MemorySegment slice(long address, long length) {
        int i = require(address, length);
        return segments[i].asSlice(address - bases[i], length);
    }

    @Override
    public byte readByte(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsByte)) {
            return firstSegment.get(ValueLayout.JAVA_BYTE, offset);
        }
        int i = require(address, 1);
        return segments[i].get(ValueLayout.JAVA_BYTE, address - bases[i]);
    }

    @Override
    public short readShort(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsShort)) {
            return firstSegment.get(SHORT, offset);
        }
        int i = require(address, 2);
        return segments[i].get(SHORT, address - bases[i]);
    }

    @Override
    public int readInt(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsInt)) {
            return firstSegment.get(INT, offset);
        }
        int i = require(address, 4);
        return segments[i].get(INT, address - bases[i]);
    }

    @Override
    public long readLong(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsLong)) {
            return firstSegment.get(LONG, offset);
        }
        int i = require(address, 8);
        return segments[i].get(LONG, address - bases[i]);
    }

    @Override
    public void writeByte(long address, byte value) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsByte)) {
            firstSegment.set(ValueLayout.JAVA_BYTE, offset, value);
            return;
        }
        int i = require(address, 1);
        segments[i].set(ValueLayout.JAVA_BYTE, address - bases[i], value);
    }

    @Override
    public void writeShort(long address, short value) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsShort)) {
            firstSegment.set(SHORT, offset, value);
            return;
        }
        int i = require(address, 2);
        segments[i].set(SHORT, address - bases[i], value);
    }

    @Override
    public void writeInt(long address, int value) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsInt)) {
            firstSegment.set(INT, offset, value);
            return;
        }
        int i = require(address, 4);
        segments[i].set(INT, address - bases[i], value);
    }

    @Override
    public void writeLong(long address, long value) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsLong)) {
            firstSegment.set(LONG, offset, value);
            return;
        }
        int i = require(address, 8);
        segments[i].set(LONG, address - bases[i], value);
    }

    @Override
    public short readShortAcquire(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsShort) && alignedInFirst(offset, Short.BYTES)) {
            return (short) SHORT_ATOMIC.getAcquire(firstSegment, offset);
        }
        int i = requireAligned(address, 2);
        return (short) SHORT_ATOMIC.getAcquire(segments[i], address - bases[i]);
    }

    @Override
    public void writeShortRelease(long address, short value) {
        long offset = address - firstBase;
        if (inFirst(offset, firstFitsShort) && alignedInFirst(offset, Short.BYTES)) {
            SHORT_ATOMIC.setRelease(firstSegment, offset, value);
            return;
        }
        int i = requireAligned(address, 2);
        SHORT_ATOMIC.setRelease(segments[i], address - bases[i], value);
    }

    private int requireAligned(long address, int size) {
        int i = require(address, size);
        // As in alignedInFirst: the host segment is page aligned.
        if (((segments[i].address() + (address - bases[i])) & (size - 1)) != 0) {
            throw new GuestMemoryException(address, size);
        }
        return i;
    }
}
