package org.jvmm.core.boot;

import java.util.ArrayList;
import java.util.List;

/**
 * Usable RAM below 4 GiB that nothing occupies yet, handed out first fit: where a boot loader puts the
 * structures it builds around a kernel that chose its own addresses.
 */
final class FreeRam {

    private final List<long[]> ram = new ArrayList<>();
    private final List<long[]> taken = new ArrayList<>();

    /**
     * Starts from the usable RAM entries of a memory map, cut at 4 GiB.
     *
     * @param map the guest's memory map
     */
    FreeRam(E820Map map) {
        for (E820Map.Entry e : map.entries()) {
            long end = Math.min(e.address() + e.size(), MultibootKernel.FOUR_GIB);
            if (e.type() == E820Map.RAM && e.address() < end) {
                ram.add(new long[] {e.address(), end});
            }
        }
    }

    /**
     * Marks a range as occupied.
     *
     * @param start first address
     * @param end   first address after it
     */
    void take(long start, long end) {
        if (end > start) {
            taken.add(new long[] {start, end});
        }
    }

    /**
     * Finds the lowest free, aligned range of {@code size} bytes at or above {@code lowest}, and takes it.
     *
     * @param size      bytes, at least 1
     * @param alignment a power of two
     * @param lowest    the lowest acceptable address
     * @return its address, or -1 if no free RAM holds it
     */
    long allocate(long size, long alignment, long lowest) {
        for (long[] r : ram) {
            long at = Checked.alignUp(Math.max(r[0], lowest), alignment, "free RAM address");
            while (at < r[1] && size <= r[1] - at) {
                long[] clash = overlapping(at, at + size);
                if (clash == null) {
                    take(at, at + size);
                    return at;
                }
                at = Checked.alignUp(clash[1], alignment, "free RAM address");
            }
        }
        return -1;
    }

    private long[] overlapping(long start, long end) {
        for (long[] t : taken) {
            if (t[0] < end && start < t[1]) {
                return t;
            }
        }
        return null;
    }
}
