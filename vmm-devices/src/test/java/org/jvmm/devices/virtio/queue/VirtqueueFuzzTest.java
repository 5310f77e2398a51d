package org.jvmm.devices.virtio.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.jvmm.core.memory.GuestMemoryException;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;

/**
 * Fuzzes the split ring from the device side: the fuzzer writes the whole guest memory image and
 * picks the queue layout, features and a sequence of device and guest actions. Only
 * {@link VirtqueueException} and {@link GuestMemoryException} may come out, a chain walk ends
 * within the hop budget, and guard pages around each region stay untouched.
 */
class VirtqueueFuzzTest {

    /** Main region: 64 KiB at guest address 0. */
    private static final long RAM = 0x1_0000;
    /** A second, small region after a hole, so areas can straddle a region end. */
    private static final long HIGH_BASE = 0x2_0000;
    private static final long HIGH = 0x1000;
    private static final long GUARD = 4096;
    private static final byte GUARD_BYTE = (byte) 0xA5;

    // One guest memory for all runs, wiped before each: allocating it per run would dominate.
    private static final MemorySegment LOW = guarded(Arena.global(), RAM);
    private static final MemorySegment HIGH_SEGMENT = guarded(Arena.global(), HIGH);
    private static final RegionGuestMemory MEMORY = new RegionGuestMemory(List.of(
            new GuestRegion(0, inner(LOW, RAM)), new GuestRegion(HIGH_BASE, inner(HIGH_SEGMENT, HIGH))));

    @FuzzTest(maxDuration = "30s")
    void splitRing(FuzzedDataProvider data) {
        RegionGuestMemory memory = MEMORY;
        inner(LOW, RAM).fill((byte) 0);
        inner(HIGH_SEGMENT, HIGH).fill((byte) 0);

        int maxSize = 1 << data.consumeInt(0, 8);
        Virtqueue queue = new Virtqueue(maxSize);
        ChainBuffers buffers = new ChainBuffers(maxSize);
        boolean eventIdx = data.consumeBoolean();
        boolean indirect = data.consumeBoolean();
        setUp(queue, data, memory, eventIdx, indirect);

        int ops = data.consumeInt(0, 64);
        int[] opCodes = new int[ops];
        long[] args = new long[ops];
        for (int i = 0; i < ops; i++) {
            opCodes[i] = data.consumeInt(0, 7);
            args[i] = data.consumeLong();
        }
        byte[] image = data.consumeRemainingAsBytes();
        MemorySegment.copy(image, 0, inner(LOW, RAM), ValueLayout.JAVA_BYTE, 0, (int) Math.min(image.length, RAM));

        for (int i = 0; i < ops; i++) {
            try {
                step(queue, buffers, memory, opCodes[i], args[i], eventIdx, indirect);
            } catch (VirtqueueException | GuestMemoryException expected) {
                // The guest's fault: the transport marks the device as needing a reset.
            }
        }
        assertGuards(LOW, RAM);
        assertGuards(HIGH_SEGMENT, HIGH);
    }

    private static void setUp(Virtqueue queue, FuzzedDataProvider data, RegionGuestMemory memory,
            boolean eventIdx, boolean indirect) {
        queue.setSize(data.consumeBoolean() ? data.consumeInt() : 1 << data.consumeInt(0, 8));
        queue.setDescriptorTable(address(data));
        queue.setAvailRing(address(data));
        queue.setUsedRing(address(data));
        queue.enable(memory, eventIdx, indirect);
    }

    /**
     * Mostly addresses in the first KiB (which short inputs fill), sometimes anywhere in or near
     * guest memory, sometimes anything.
     */
    private static long address(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 15)) {
            case 0 -> data.consumeLong();
            case 1 -> data.consumeLong(0, HIGH_BASE + HIGH);
            default -> data.consumeInt(0, 0x7f) * 8L;
        };
    }

    private static void step(Virtqueue queue, ChainBuffers buffers, RegionGuestMemory memory, int op, long arg,
            boolean eventIdx, boolean indirect) {
        switch (op) {
            case 0 -> {
                if (queue.isReady()) {
                    DescriptorChain chain = queue.pop();
                    if (chain != null) {
                        int buffersSeen = 0;
                        while (chain.next()) {
                            buffersSeen++;
                            assertTrue(buffersSeen <= queue.size(), "chain walked past the hop budget");
                        }
                        queue.addUsed(chain.head(), (int) arg);
                    }
                }
            }
            case 1 -> {
                if (queue.isReady()) {
                    DescriptorChain chain = queue.pop();
                    if (chain != null) {
                        buffers.collect(chain);
                        assertTrue(buffers.count() <= queue.size(), "chain holds more buffers than the queue size");
                        copyThrough(buffers, memory, arg);
                        queue.addUsed(chain.head(), (int) Math.min(buffers.writableBytes(), 64));
                    }
                }
            }
            case 2 -> {
                if (queue.isReady()) {
                    queue.addUsed((int) arg, (int) (arg >>> 32));
                }
            }
            case 3 -> queue.needsInterrupt();
            case 4 -> queue.hasAvailable();
            // The guest changes memory under the device: a 16-bit store (avail idx, flags, next...).
            case 5 -> memory.writeShort(Math.floorMod(arg, 0x1000), (short) (arg >>> 32));
            case 6 -> memory.writeLong(Math.floorMod(arg, 0x1000), arg * 0x9E37_79B9_7F4A_7C15L);
            default -> {
                long desc = queue.descriptorTable();
                long avail = queue.availRing();
                long used = queue.usedRing();
                int size = queue.size();
                queue.reset();
                queue.setSize(size);
                queue.setDescriptorTable(desc);
                queue.setAvailRing(avail);
                queue.setUsedRing(used);
                queue.enable(memory, eventIdx, indirect);
            }
        }
    }

    /** Moves a few bytes through the readable and writable streams the way devices do. */
    private static void copyThrough(ChainBuffers buffers, RegionGuestMemory memory, long arg) {
        long readable = buffers.readableBytes();
        if (readable > 0) {
            long offset = Math.floorMod(arg, readable);
            byte[] into = new byte[(int) Math.min(readable - offset, 256)];
            buffers.readFrom(memory, offset, MemorySegment.ofArray(into));
        }
        long writable = buffers.writableBytes();
        if (writable > 0) {
            long offset = Math.floorMod(arg >>> 16, writable);
            byte[] from = new byte[(int) Math.min(writable - offset, 256)];
            buffers.writeTo(memory, offset, MemorySegment.ofArray(from));
            buffers.writableAddress(offset);
        }
    }

    private static MemorySegment guarded(Arena arena, long size) {
        MemorySegment whole = arena.allocate(size + 2 * GUARD, 4096);
        whole.asSlice(0, GUARD).fill(GUARD_BYTE);
        whole.asSlice(GUARD + size, GUARD).fill(GUARD_BYTE);
        return whole;
    }

    private static MemorySegment inner(MemorySegment whole, long size) {
        return whole.asSlice(GUARD, size);
    }

    private static void assertGuards(MemorySegment whole, long size) {
        byte[] expected = new byte[(int) GUARD];
        java.util.Arrays.fill(expected, GUARD_BYTE);
        assertArrayEquals(expected, whole.asSlice(0, GUARD).toArray(ValueLayout.JAVA_BYTE), "guard below a region written");
        assertArrayEquals(expected, whole.asSlice(GUARD + size, GUARD).toArray(ValueLayout.JAVA_BYTE),
                "guard above a region written");
    }
}
