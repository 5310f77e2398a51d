package org.jvmm.core.boot;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jvmm.core.memory.GuestRegion;

/**
 * The BIOS memory map the kernel reads from the zero page: sorted, non-overlapping ranges, at most
 * {@link #MAX_ENTRIES}.
 *
 * @param entries the ranges, sorted by address
 */
public record E820Map(List<Entry> entries) {

    /** Entries the zero page holds. */
    public static final int MAX_ENTRIES = 128;
    /** Usable RAM. */
    public static final int RAM = 1;
    /** Reserved: the kernel leaves it alone. */
    public static final int RESERVED = 2;
    /** ACPI tables, reclaimable once parsed. */
    public static final int ACPI = 3;
    /** Where the legacy EBDA would start: RAM below it is usable. */
    public static final long EBDA_START = 0x9_fc00;
    /** The legacy BIOS area the RSDP and jvmm's other ACPI tables live in, up to 1 MiB. */
    public static final long BIOS_AREA = 0xe_0000;
    /** 1 MiB: where RAM above the legacy hole starts. */
    public static final long HIGH_MEMORY = 0x10_0000;

    /**
     * One range.
     *
     * @param address start
     * @param size    length in bytes
     * @param type    {@link #RAM}, {@link #RESERVED}, {@link #ACPI}, ...
     */
    public record Entry(long address, long size, int type) {
        /** {@return the last address in the range, as the kernel prints it} */
        public long last() {
            return address + size - 1;
        }
    }

    /**
     * Validates and sorts the entries.
     *
     * @param entries the ranges
     * @throws BootException E820_TABLE_FULL or E820_BAD_ENTRY
     */
    public E820Map {
        if (entries.size() > MAX_ENTRIES) {
            throw new BootException(BootError.E820_TABLE_FULL, entries.size() + " entries");
        }
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::address));
        long previousEnd = 0;
        for (Entry e : sorted) {
            if (e.size() <= 0 || e.address() < 0) {
                throw new BootException(BootError.E820_BAD_ENTRY, e.toString());
            }
            long end = Checked.add(e.address(), e.size(), "e820 entry end");
            if (e.address() < previousEnd) {
                throw new BootException(BootError.E820_BAD_ENTRY, e + " overlaps the entry before it");
            }
            previousEnd = end;
        }
        entries = List.copyOf(sorted);
    }

    /**
     * The map of a PC-shaped guest: RAM below the EBDA, the EBDA and the BIOS area (which holds the ACPI
     * tables) reserved, then every RAM region from 1 MiB on.
     *
     * @param ram the guest's RAM regions; the first must start at 0 and reach 1 MiB
     * @return the map
     */
    public static E820Map forRam(List<GuestRegion> ram) {
        return forRam(ram.stream().map(r -> new long[] {r.base(), r.size()}).toArray(long[][]::new));
    }

    /**
     * As {@link #forRam(List)}, from {base, size} pairs as {@code GuestRam.allocate} takes them.
     *
     * @param ram the RAM ranges, sorted; the first must start at 0 and reach 1 MiB
     * @return the map
     */
    public static E820Map forRam(long[][] ram) {
        List<Entry> entries = new ArrayList<>();
        entries.add(new Entry(0, EBDA_START, RAM));
        entries.add(new Entry(EBDA_START, 0xa_0000 - EBDA_START, RESERVED));
        entries.add(new Entry(BIOS_AREA, HIGH_MEMORY - BIOS_AREA, RESERVED));
        for (long[] region : ram) {
            long start = Math.max(region[0], HIGH_MEMORY);
            long end = Checked.add(region[0], region[1], "RAM region end");
            if (end > start) {
                entries.add(new Entry(start, end - start, RAM));
            }
        }
        return new E820Map(entries);
    }

    /** {@return the first address after the last usable RAM below 4 GiB} */
    public long ramEndBelow4G() {
        long end = 0;
        for (Entry e : entries) {
            if (e.type() == RAM && e.address() < (1L << 32)) {
                end = Math.max(end, Math.min(e.address() + e.size(), 1L << 32));
            }
        }
        return end;
    }

    /**
     * Whether a range lies inside one usable RAM entry.
     *
     * @param address start
     * @param size    length
     * @return true if usable RAM holds it all
     */
    public boolean isRam(long address, long size) {
        for (Entry e : entries) {
            if (e.type() == RAM && address >= e.address() && address - e.address() <= e.size()
                    && size <= e.size() - (address - e.address())) {
                return true;
            }
        }
        return false;
    }
}
