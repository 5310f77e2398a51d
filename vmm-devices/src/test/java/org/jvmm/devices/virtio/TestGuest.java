package org.jvmm.devices.virtio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;

/**
 * Guest RAM for tests: page-aligned native segments (acquire/release need aligned memory) in a
 * confined arena, or sparse {@code MAP_NORESERVE} RAM of gigabytes of which only the touched pages
 * cost host memory ({@link #sparse}); and a bump allocator for rings and buffers.
 */
public final class TestGuest implements AutoCloseable {

    public final RegionGuestMemory memory;
    private final AutoCloseable owner;
    private long next;
    private final long end;

    /** One region of {@code size} bytes at guest address 0; allocation starts at 0x1000. */
    public TestGuest(long size) {
        this(new long[][] {{0, size}}, false);
    }

    /** Like {@link #TestGuest(long)}, in a shared arena when device threads touch the memory too. */
    public TestGuest(long size, boolean shared) {
        this(new long[][] {{0, size}}, shared);
    }

    /** Regions given as {base, size}; allocation happens in the first one, from base + 0x1000. */
    public TestGuest(long[][] regions, boolean shared) {
        Arena arena = shared ? Arena.ofShared() : Arena.ofConfined();
        List<GuestRegion> list = new ArrayList<>();
        for (long[] r : regions) {
            list.add(new GuestRegion(r[0], arena.allocate(r[1], 4096)));
        }
        memory = new RegionGuestMemory(list);
        owner = arena;
        next = regions[0][0] + 0x1000;
        end = regions[0][0] + regions[0][1];
    }

    private TestGuest(GuestRam ram) {
        memory = new RegionGuestMemory(ram.regions());
        owner = ram;
        GuestRegion first = ram.regions().get(0);
        next = first.base() + 0x1000;
        end = first.end();
    }

    /**
     * One region of {@code size} bytes at guest address 0, mapped {@code MAP_NORESERVE} as a VM's
     * RAM is: untouched pages read as zeroes and cost nothing. Allocate only small things with
     * {@link #alloc} (it zeroes what it hands out); address big buffers directly.
     */
    public static TestGuest sparse(long size) {
        return new TestGuest(GuestRam.allocate(new long[][] {{0, size}}));
    }

    /** Allocates {@code size} bytes aligned to {@code align}, zeroed. */
    public long alloc(long size, long align) {
        long at = (next + align - 1) & -align;
        if (at + size > end) {
            throw new IllegalStateException("test guest out of memory");
        }
        next = at + size;
        memory.slice(at, size).fill((byte) 0);
        return at;
    }

    /** Allocates and fills a buffer. */
    public long put(byte[] bytes) {
        long at = alloc(Math.max(1, bytes.length), 8);
        memory.write(at, bytes);
        return at;
    }

    public byte[] get(long address, int length) {
        return memory.slice(address, length).toArray(ValueLayout.JAVA_BYTE);
    }

    public MemorySegment slice(long address, long length) {
        return memory.slice(address, length);
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
