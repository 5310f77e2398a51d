package org.jvmm.core.bus;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A port-I/O or MMIO address space. Devices are registered at ranges that must not overlap; lookups
 * are a binary search over sorted arrays and allocate nothing. An access nobody claims reads as all
 * ones and writes are dropped, as on a PC bus with nothing decoding the address; the caller counts
 * them (see {@link #lookup}).
 *
 * <p>Registration happens while the machine is built; lookups happen on vCPU threads after that.
 * Registration publishes a new immutable snapshot, so a lookup never sees a half-built table.
 */
public final class Bus {

    /**
     * One registered device.
     *
     * @param index  position in registration order, stable for the bus's life (for per-device stats)
     * @param name   a name for reports, e.g. {@code "com1"}
     * @param range  the addresses it answers
     * @param device the device
     */
    public record Entry(int index, String name, AddressRange range, BusDevice device) {}

    private record Table(long[] bases, long[] lasts, Entry[] entries) {}

    private final String name;
    private final List<Entry> registered = new ArrayList<>();
    private volatile Table table = new Table(new long[0], new long[0], new Entry[0]);

    /**
     * Creates an empty bus.
     *
     * @param name {@code "pio"} or {@code "mmio"}, for messages
     */
    public Bus(String name) {
        this.name = name;
    }

    /** {@return the bus's name} */
    public String name() {
        return name;
    }

    /**
     * Registers a device.
     *
     * @param deviceName a name for reports
     * @param range      the addresses it answers
     * @param device     the device
     * @return the new entry
     * @throws IllegalArgumentException if the range overlaps a registered one
     */
    public synchronized Entry register(String deviceName, AddressRange range, BusDevice device) {
        for (Entry existing : registered) {
            if (existing.range().overlaps(range)) {
                throw new IllegalArgumentException(name + " bus: " + deviceName + " at " + range
                        + " overlaps " + existing.name() + " at " + existing.range());
            }
        }
        Entry entry = new Entry(registered.size(), deviceName, range, device);
        registered.add(entry);
        List<Entry> sorted = new ArrayList<>(registered);
        sorted.sort((a, b) -> Long.compareUnsigned(a.range().base(), b.range().base()));
        long[] bases = new long[sorted.size()];
        long[] lasts = new long[sorted.size()];
        for (int i = 0; i < sorted.size(); i++) {
            bases[i] = sorted.get(i).range().base();
            lasts[i] = sorted.get(i).range().last();
        }
        table = new Table(bases, lasts, sorted.toArray(Entry[]::new));
        return entry;
    }

    /** {@return the registered entries in registration order} */
    public synchronized List<Entry> entries() {
        return List.copyOf(registered);
    }

    /**
     * Finds the device answering {@code address}.
     *
     * @param address a port or guest-physical address
     * @return the entry, or null when nothing claims the address
     */
    public Entry lookup(long address) {
        Table t = table;
        long[] bases = t.bases;
        int low = 0;
        int high = bases.length - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (Long.compareUnsigned(bases[mid], address) <= 0) {
                if (Long.compareUnsigned(address, t.lasts[mid]) <= 0) {
                    return t.entries[mid];
                }
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return null;
    }

    /**
     * Finds a device by name.
     *
     * @param deviceName the name given at registration
     * @return the entry if registered
     */
    public synchronized Optional<Entry> find(String deviceName) {
        return registered.stream().filter(e -> e.name().equals(deviceName)).findFirst();
    }

    /**
     * Dispatches a read. An unclaimed address reads as all ones.
     *
     * @param address port or guest-physical address
     * @param size    access size in bytes
     * @return the value read
     */
    public long read(long address, int size) {
        Entry entry = lookup(address);
        return entry == null ? allOnes(size) : entry.device().read(address - entry.range().base(), size);
    }

    /**
     * Dispatches a write. A write to an unclaimed address is dropped.
     *
     * @param address port or guest-physical address
     * @param size    access size in bytes
     * @param value   the value
     * @return true if a device took the write
     */
    public boolean write(long address, int size, long value) {
        Entry entry = lookup(address);
        if (entry == null) {
            return false;
        }
        entry.device().write(address - entry.range().base(), size, value);
        return true;
    }

    /**
     * All ones in the low {@code size} bytes, what an undecoded read returns.
     *
     * @param size access size in bytes, 1 to 8
     * @return the value
     */
    public static long allOnes(int size) {
        return size >= 8 ? -1L : (1L << (size * 8)) - 1;
    }
}
