package org.jvmm.devices.virtio.queue;

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
 * within the hop budget, and every device action writes guest memory only where the device may:
 * the used ring's index, elements and (with EVENT_IDX) {@code avail_event}, and the device-writable
 * buffers of the chain it is filling. After each device action guest memory is compared with a copy
 * taken before it, both regions whole, so a stray store anywhere in guest memory fails the run.
 */
class VirtqueueFuzzTest {

    /** Main region: 64 KiB at guest address 0. */
    private static final long RAM = 0x1_0000;
    /** A second, small region after a hole, so areas can straddle a region end. */
    private static final long HIGH_BASE = 0x2_0000;
    private static final long HIGH = 0x1000;
    /** What the fuzz device writes into writable buffers: never the fill byte of fresh memory. */
    private static final byte DEVICE_BYTE = (byte) 0x5A;

    // One guest memory for all runs, wiped before each: allocating it per run would dominate.
    private static final MemorySegment LOW = Arena.global().allocate(RAM, 4096);
    private static final MemorySegment HIGH_SEGMENT = Arena.global().allocate(HIGH, 4096);
    private static final RegionGuestMemory MEMORY = new RegionGuestMemory(List.of(
            new GuestRegion(0, LOW), new GuestRegion(HIGH_BASE, HIGH_SEGMENT)));
    /** Guest memory as it was before the device action under check. */
    private static final MemorySegment LOW_BEFORE = Arena.global().allocate(RAM);
    private static final MemorySegment HIGH_BEFORE = Arena.global().allocate(HIGH);
    private static final byte[] DEVICE_DATA = filled(256, DEVICE_BYTE);

    @FuzzTest(maxDuration = "30s")
    void splitRing(FuzzedDataProvider data) {
        RegionGuestMemory memory = MEMORY;
        LOW.fill((byte) 0);
        HIGH_SEGMENT.fill((byte) 0);

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
        MemorySegment.copy(image, 0, LOW, ValueLayout.JAVA_BYTE, 0, (int) Math.min(image.length, RAM));

        Writable writable = new Writable();
        for (int i = 0; i < ops; i++) {
            boolean device = opCodes[i] != 5 && opCodes[i] != 6;
            if (device) {
                LOW_BEFORE.copyFrom(LOW);
                HIGH_BEFORE.copyFrom(HIGH_SEGMENT);
                writable.clear();
            }
            try {
                step(queue, buffers, memory, opCodes[i], args[i], eventIdx, indirect, writable);
            } catch (VirtqueueException | GuestMemoryException expected) {
                // The guest's fault: the transport marks the device as needing a reset.
            }
            if (device) {
                checkWrites(queue, eventIdx, writable, opCodes[i]);
            }
        }
    }

    /** The device-writable buffers of the chain a device action filled: guest address ranges. */
    private static final class Writable {
        final long[] start = new long[256];
        final long[] end = new long[256];
        int count;

        void clear() {
            count = 0;
        }

        void add(long address, long length) {
            start[count] = address;
            end[count] = address + length;
            count++;
        }

        boolean contains(long address) {
            for (int i = 0; i < count; i++) {
                if (address >= start[i] && address < end[i]) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Every byte the last device action changed lies in the used ring's device part or a writable buffer. */
    private static void checkWrites(Virtqueue queue, boolean eventIdx, Writable writable, int op) {
        checkWrites(LOW_BEFORE, LOW, 0, queue, eventIdx, writable, op);
        checkWrites(HIGH_BEFORE, HIGH_SEGMENT, HIGH_BASE, queue, eventIdx, writable, op);
    }

    private static void checkWrites(MemorySegment before, MemorySegment after, long base, Virtqueue queue,
            boolean eventIdx, Writable writable, int op) {
        long size = after.byteSize();
        long from = 0;
        while (from < size) {
            long at = before.asSlice(from).mismatch(after.asSlice(from));
            if (at < 0) {
                return;
            }
            long address = base + from + at;
            // The used ring's device-written part: idx (+2), the elements (+4), and with EVENT_IDX
            // avail_event after them; never its flags (+0). Only a ready queue writes it.
            long used = queue.usedRing();
            long usedEnd = used + 4 + 8L * queue.size() + (eventIdx ? 2 : 0);
            boolean inUsed = queue.isReady() && address >= used + 2 && address < usedEnd;
            assertTrue(inUsed || writable.contains(address), String.format(
                    "device action %d wrote guest byte 0x%x (0x%02x -> 0x%02x): outside the used ring [0x%x, 0x%x)"
                    + " and the chain's writable buffers", op, address, before.get(ValueLayout.JAVA_BYTE, from + at),
                    after.get(ValueLayout.JAVA_BYTE, from + at), used + 2, usedEnd));
            from += at + 1;
        }
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
            boolean eventIdx, boolean indirect, Writable writable) {
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
                        for (int b = buffers.firstWritable(); b < buffers.count(); b++) {
                            writable.add(buffers.address(b), buffers.length(b));
                        }
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
            int n = (int) Math.min(writable - offset, DEVICE_DATA.length);
            buffers.writeTo(memory, offset, MemorySegment.ofArray(DEVICE_DATA).asSlice(0, n));
            buffers.writableAddress(offset);
        }
    }

    private static byte[] filled(int length, byte value) {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, value);
        return bytes;
    }
}
