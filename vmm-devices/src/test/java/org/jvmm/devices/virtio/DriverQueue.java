package org.jvmm.devices.virtio;

import org.jvmm.core.memory.GuestMemory;
import org.jvmm.devices.virtio.queue.Virtqueue;

/**
 * The driver's side of one split virtqueue, laid out in test guest memory: writes descriptors,
 * publishes heads in the avail ring, reads the used ring.
 */
public final class DriverQueue {

    public final GuestMemory memory;
    public final int size;
    public final long desc;
    public final long avail;
    public final long used;
    private int nextDesc;
    private int availIdx;
    private int lastUsedSeen;

    public DriverQueue(GuestMemory memory, int size, long desc, long avail, long used) {
        this.memory = memory;
        this.size = size;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
    }

    /** Lays out a queue of {@code size} in fresh memory of {@code guest}. */
    public static DriverQueue allocate(TestGuest guest, int size) {
        long desc = guest.alloc(16L * size, 16);
        long avail = guest.alloc(6L + 2L * size, 2);
        long used = guest.alloc(6L + 8L * size, 4);
        return new DriverQueue(guest.memory, size, desc, avail, used);
    }

    /** Writes descriptor {@code index} verbatim. */
    public void descriptor(int index, long addr, int len, int flags, int next) {
        descriptorAt(desc, index, addr, len, flags, next);
    }

    /** Writes entry {@code index} of a descriptor table at {@code table} (an indirect table). */
    public void descriptorAt(long table, int index, long addr, int len, int flags, int next) {
        long d = table + 16L * index;
        memory.writeLong(d, addr);
        memory.writeInt(d + 8, len);
        memory.writeShort(d + 12, (short) flags);
        memory.writeShort(d + 14, (short) next);
    }

    /**
     * Writes a chain of buffers into consecutive free descriptors (wrapping) and returns its head.
     * Each buffer is {addr, len, writable ? 1 : 0}.
     */
    public int chain(long[]... buffers) {
        int head = nextDesc % size;
        for (int i = 0; i < buffers.length; i++) {
            int index = (nextDesc + i) % size;
            boolean last = i == buffers.length - 1;
            int flags = (buffers[i][2] != 0 ? Virtqueue.DESC_F_WRITE : 0) | (last ? 0 : Virtqueue.DESC_F_NEXT);
            descriptor(index, buffers[i][0], (int) buffers[i][1], flags, (nextDesc + i + 1) % size);
        }
        nextDesc += buffers.length;
        return head;
    }

    /** Puts {@code head} in the avail ring and publishes the new avail index. */
    public void publish(int head) {
        memory.writeShort(avail + 4 + 2L * (availIdx % size), (short) head);
        availIdx = (availIdx + 1) & 0xFFFF;
        memory.writeShortRelease(avail + 2, (short) availIdx);
    }

    /** Writes a chain and publishes it; returns the head. */
    public int add(long[]... buffers) {
        int head = chain(buffers);
        publish(head);
        return head;
    }

    /** Sets the avail index directly (for hostile tests and wrap-around). */
    public void setAvailIdx(int idx) {
        availIdx = idx & 0xFFFF;
        memory.writeShortRelease(avail + 2, (short) availIdx);
    }

    public int availIdx() {
        return availIdx;
    }

    public void setAvailFlags(int flags) {
        memory.writeShort(avail, (short) flags);
    }

    public void setUsedEvent(int event) {
        memory.writeShort(avail + 4 + 2L * size, (short) event);
    }

    public int availEvent() {
        return Short.toUnsignedInt(memory.readShort(used + 4 + 8L * size));
    }

    public int usedIdx() {
        return Short.toUnsignedInt(memory.readShortAcquire(used + 2));
    }

    public int usedId(int ringIndex) {
        return memory.readInt(used + 4 + 8L * (ringIndex % size));
    }

    public int usedLen(int ringIndex) {
        return memory.readInt(used + 4 + 8L * (ringIndex % size) + 4);
    }

    /** The used elements published since the last call, as {id, len} pairs. */
    public int[][] takeUsed() {
        int idx = usedIdx();
        int n = (idx - lastUsedSeen) & 0xFFFF;
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) {
            int r = (lastUsedSeen + i) & 0xFFFF;
            out[i] = new int[] {usedId(r), usedLen(r)};
        }
        lastUsedSeen = idx;
        return out;
    }

    /** A readable buffer. */
    public static long[] ro(long addr, long len) {
        return new long[] {addr, len, 0};
    }

    /** A device-writable buffer. */
    public static long[] rw(long addr, long len) {
        return new long[] {addr, len, 1};
    }
}
