package org.jvmm.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.sys.Mmap;

/**
 * Guest RAM: anonymous {@code MAP_NORESERVE} mappings, one per region, that KVM maps into the guest
 * and devices use directly through {@link GuestMemory}. RAM above {@link #MMIO_HOLE_START} continues
 * at 4 GiB, leaving the hole below 4 GiB for MMIO devices, as on a PC.
 *
 * <p>Closing unmaps every region; a later access through any slice throws
 * {@link IllegalStateException} rather than touching unmapped memory.
 */
public final class GuestRam implements AutoCloseable {

    /** Start of the MMIO hole below 4 GiB (3 GiB). */
    public static final long MMIO_HOLE_START = 0xC000_0000L;
    /** Where RAM resumes above the hole (4 GiB). */
    public static final long HIGH_RAM_START = 0x1_0000_0000L;
    /** The page size RAM sizes must be a multiple of. */
    public static final long PAGE_SIZE = 4096;
    /** The largest RAM jvmm maps (1 TiB): larger requests are a typo, not a VM. */
    public static final long MAX_SIZE = 1L << 40;

    private final Arena arena;
    private final RegionGuestMemory memory;

    private GuestRam(Arena arena, List<GuestRegion> regions) {
        this.arena = arena;
        this.memory = new RegionGuestMemory(regions);
    }

    /**
     * Maps {@code size} bytes of RAM at guest address 0, split around the MMIO hole.
     *
     * @param size bytes, a positive multiple of 4 KiB, at most {@link #MAX_SIZE}
     * @return the RAM
     * @throws IllegalArgumentException if the size is not acceptable
     * @throws org.jvmm.core.kvm.SystemCallException if the host refuses the mapping
     */
    public static GuestRam allocate(long size) {
        checkSize(size);
        long low = Math.min(size, MMIO_HOLE_START);
        long high = size - low;
        return allocate(high == 0 ? new long[][] {{0, low}} : new long[][] {{0, low}, {HIGH_RAM_START, high}});
    }

    /**
     * Maps RAM at explicit guest addresses.
     *
     * @param baseAndSize pairs of {base, size}; sizes multiples of 4 KiB, ranges non-overlapping
     * @return the RAM
     * @throws IllegalArgumentException if a size or base is not page aligned, or ranges overlap
     * @throws org.jvmm.core.kvm.SystemCallException if the host refuses a mapping
     */
    public static GuestRam allocate(long[][] baseAndSize) {
        Arena arena = Arena.ofShared();
        try {
            List<GuestRegion> regions = new ArrayList<>();
            for (long[] pair : baseAndSize) {
                checkSize(pair[1]);
                if ((pair[0] & (PAGE_SIZE - 1)) != 0) {
                    throw new IllegalArgumentException("guest RAM base 0x" + Long.toHexString(pair[0]) + " is not page aligned");
                }
                MemorySegment segment = Mmap.anonymous(arena, pair[1]);
                regions.add(new GuestRegion(pair[0], segment));
            }
            return new GuestRam(arena, regions);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void checkSize(long size) {
        if (size <= 0 || (size & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("guest RAM size " + size + " is not a positive multiple of 4 KiB");
        }
        if (size > MAX_SIZE) {
            throw new IllegalArgumentException("guest RAM size " + size + " is more than jvmm maps (1 TiB)");
        }
    }

    /** {@return the RAM as guest memory} */
    public GuestMemory memory() {
        return memory;
    }

    /** {@return the regions, sorted by guest address} */
    public List<GuestRegion> regions() {
        return memory.regions();
    }

    /** {@return total RAM in bytes} */
    public long size() {
        return memory.totalSize();
    }

    /** Unmaps all regions. Calling it again does nothing. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
