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
    }

    private static String describe(GuestRegion region) {
        return "[0x" + Long.toHexString(region.base()) + ", 0x" + Long.toHexString(region.end()) + ")";
    }

    @Override
    public List<GuestRegion> regions() {
        return regions;
    }

    /**
     * The fast path's check: whether {@code width} bytes at {@code offset} into region 0 lie inside
     * it. One unsigned compare, which also refuses an address below region 0 (its offset wraps to a
     * huge one), written exactly as the segment's own bounds check on the same length, so the JIT
     * can keep one of the two. A region 0 shorter than {@code width} wraps the limit and lets the
     * access through to the segment, whose check then throws: the accessors catch that as a miss.
     */
    private boolean inFirst(long offset, int width) {
        return Long.compareUnsigned(offset, firstSegment.byteSize() - width + 1) < 0;
    }

    /** Whether {@code offset} into region 0 is on a {@code width}-byte boundary of the host memory. */
    private boolean alignedInFirst(long offset, int width) {
        // The host segment is page aligned, so guest alignment is host alignment. Written as the
        // segment's own alignment check, for the same reason.
        return ((firstSegment.address() + offset) & (width - 1)) == 0;
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
        if (inFirst(offset, Byte.BYTES)) {
            try {
                return firstSegment.get(ValueLayout.JAVA_BYTE, offset);
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = require(address, 1);
        return segments[i].get(ValueLayout.JAVA_BYTE, address - bases[i]);
    }

    @Override
    public short readShort(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, Short.BYTES)) {
            try {
                return firstSegment.get(SHORT, offset);
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = require(address, 2);
        return segments[i].get(SHORT, address - bases[i]);
    }

    @Override
    public int readInt(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, Integer.BYTES)) {
            try {
                return firstSegment.get(INT, offset);
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = require(address, 4);
        return segments[i].get(INT, address - bases[i]);
    }

    @Override
    public long readLong(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, Long.BYTES)) {
            try {
                return firstSegment.get(LONG, offset);
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = require(address, 8);
        return segments[i].get(LONG, address - bases[i]);
    }

    @Override
    public void writeByte(long address, byte value) {
        long offset = address - firstBase;
        if (inFirst(offset, Byte.BYTES)) {
            try {
                firstSegment.set(ValueLayout.JAVA_BYTE, offset, value);
                return;
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = require(address, 1);
        segments[i].set(ValueLayout.JAVA_BYTE, address - bases[i], value);
    }

    @Override
    public void writeShort(long address, short value) {
        long offset = address - firstBase;
        if (inFirst(offset, Short.BYTES)) {
            try {
                firstSegment.set(SHORT, offset, value);
                return;
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = require(address, 2);
        segments[i].set(SHORT, address - bases[i], value);
    }

    @Override
    public void writeInt(long address, int value) {
        long offset = address - firstBase;
        if (inFirst(offset, Integer.BYTES)) {
            try {
                firstSegment.set(INT, offset, value);
                return;
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = require(address, 4);
        segments[i].set(INT, address - bases[i], value);
    }

    @Override
    public void writeLong(long address, long value) {
        long offset = address - firstBase;
        if (inFirst(offset, Long.BYTES)) {
            try {
                firstSegment.set(LONG, offset, value);
                return;
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = require(address, 8);
        segments[i].set(LONG, address - bases[i], value);
    }

    @Override
    public short readShortAcquire(long address) {
        long offset = address - firstBase;
        if (inFirst(offset, Short.BYTES) && alignedInFirst(offset, Short.BYTES)) {
            try {
                return (short) SHORT_ATOMIC.getAcquire(firstSegment, offset);
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
        }
        int i = requireAligned(address, 2);
        return (short) SHORT_ATOMIC.getAcquire(segments[i], address - bases[i]);
    }

    @Override
    public void writeShortRelease(long address, short value) {
        long offset = address - firstBase;
        if (inFirst(offset, Short.BYTES) && alignedInFirst(offset, Short.BYTES)) {
            try {
                SHORT_ATOMIC.setRelease(firstSegment, offset, value);
                return;
            } catch (IndexOutOfBoundsException regionShorterThanTheValue) {
                // a miss: the lookup below refuses it
            }
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
