package org.jvmm.devices.virtio.queue;

import java.lang.System.Logger.Level;
import java.lang.invoke.VarHandle;
import org.jvmm.core.memory.GuestMemory;

/**
 * The device side of one split virtqueue (VIRTIO 1.2, section 2.7): the descriptor table, the
 * available ring the driver fills and the used ring the device fills, all in guest memory.
 *
 * <p>The queue knows nothing of devices, transports or interrupts. The transport configures it
 * with the values the driver wrote ({@link #setSize}, {@link #setDescriptorTable}, ...) and
 * {@link #enable enables} it; the device {@link #pop pops} chains, walks them with the returned
 * {@link DescriptorChain} cursor, {@link #addUsed returns} them, and asks
 * {@link #needsInterrupt} whether the driver wants to hear about it.
 *
 * <p>Guest-reachable setters log at debug level and keep the old value when given something
 * invalid. Everything the guest can change at any time (ring contents, descriptors) is read once
 * and checked when read; guest memory accesses are bounds-checked by {@link GuestMemory}.
 *
 * <p>Memory ordering: the avail index is read with acquire, so ring entries and descriptors the
 * driver wrote before publishing it are visible; the used index is written with release, after
 * its ring entry; a full fence separates publishing used entries from reading the driver's
 * interrupt suppression, and publishing {@code avail_event} from re-reading the avail index
 * (VIRTIO 1.2, 2.7.10 and 2.7.7).
 *
 * <p>Not thread-safe: the transport serialises all calls.
 */
public final class Virtqueue {

    /** The largest queue size the split ring allows. */
    public static final int MAX_SIZE = 32768;

    /** Descriptor flag: the chain continues at {@code next}. */
    public static final int DESC_F_NEXT = 1;
    /** Descriptor flag: the buffer is device-writable. */
    public static final int DESC_F_WRITE = 2;
    /** Descriptor flag: the buffer holds a table of descriptors. */
    public static final int DESC_F_INDIRECT = 4;
    /** Avail ring flag: the driver wants no interrupts (ignored with EVENT_IDX). */
    public static final int AVAIL_F_NO_INTERRUPT = 1;

    /** Bytes per descriptor table entry. */
    public static final int DESCRIPTOR_SIZE = 16;

    private final int maxSize;
    private final DescriptorChain chain = new DescriptorChain(this);

    private int size;
    private long descTable;
    private long availRing;
    private long usedRing;
    private boolean ready;

    private GuestMemory memory;
    private boolean eventIdx;
    private boolean indirect;
    private short nextAvail;
    private short nextUsed;
    /** The used index when the driver was last considered for an interrupt. */
    private short signalledUsed;

    /**
     * Creates a queue, not ready, with its size set to the maximum.
     *
     * @param maxSize the largest size the device supports: a power of two, 1 to {@link #MAX_SIZE}
     * @throws IllegalArgumentException if maxSize is not acceptable
     */
    public Virtqueue(int maxSize) {
        if (maxSize < 1 || maxSize > MAX_SIZE || Integer.bitCount(maxSize) != 1) {
            throw new IllegalArgumentException("virtqueue max size must be a power of two from 1 to "
                    + MAX_SIZE + ": " + maxSize);
        }
        this.maxSize = maxSize;
        this.size = maxSize;
    }

    /** {@return the largest size the driver may choose} */
    public int maxSize() {
        return maxSize;
    }

    /** {@return the size the driver chose (the maximum until it writes one)} */
    public int size() {
        return size;
    }

    /** {@return whether the driver enabled the queue and its layout was accepted} */
    public boolean isReady() {
        return ready;
    }

    /** {@return the guest address of the descriptor table} */
    public long descriptorTable() {
        return descTable;
    }

    /** {@return the guest address of the available (driver) ring} */
    public long availRing() {
        return availRing;
    }

    /** {@return the guest address of the used (device) ring} */
    public long usedRing() {
        return usedRing;
    }

    /**
     * Sets the queue size the driver chose. Guest-reachable: a size that is zero, not a power of
     * two, larger than the maximum, or written while the queue is ready is logged and ignored.
     *
     * @param newSize the size
     * @return true if taken
     */
    public boolean setSize(int newSize) {
        if (ready) {
            return reject("queue size written while the queue is ready");
        }
        if (newSize < 1 || newSize > maxSize || Integer.bitCount(newSize) != 1) {
            return reject("queue size " + newSize + " is not a power of two from 1 to " + maxSize);
        }
        size = newSize;
        return true;
    }

    /**
     * Sets the descriptor table address. Ignored while the queue is ready.
     *
     * @param address guest-physical address
     * @return true if taken
     */
    public boolean setDescriptorTable(long address) {
        if (ready) {
            return reject("descriptor table address written while the queue is ready");
        }
        descTable = address;
        return true;
    }

    /**
     * Sets the available ring address. Ignored while the queue is ready.
     *
     * @param address guest-physical address
     * @return true if taken
     */
    public boolean setAvailRing(long address) {
        if (ready) {
            return reject("avail ring address written while the queue is ready");
        }
        availRing = address;
        return true;
    }

    /**
     * Sets the used ring address. Ignored while the queue is ready.
     *
     * @param address guest-physical address
     * @return true if taken
     */
    public boolean setUsedRing(long address) {
        if (ready) {
            return reject("used ring address written while the queue is ready");
        }
        usedRing = address;
        return true;
    }

    /**
     * Makes the queue ready after checking its layout: every area naturally aligned (descriptor
     * table 16, avail ring 2, used ring 4) and inside one region of guest memory. Guest-reachable:
     * a bad layout is logged and the queue stays not ready.
     *
     * @param guestMemory         the guest's memory
     * @param eventIdxNegotiated   whether VIRTIO_F_RING_EVENT_IDX was negotiated
     * @param indirectNegotiated   whether VIRTIO_F_INDIRECT_DESC was negotiated
     * @return true if the queue is now ready
     */
    public boolean enable(GuestMemory guestMemory, boolean eventIdxNegotiated, boolean indirectNegotiated) {
        if (ready) {
            return true;
        }
        String problem = layoutProblem(guestMemory);
        if (problem != null) {
            return reject(problem);
        }
        memory = guestMemory;
        eventIdx = eventIdxNegotiated;
        indirect = indirectNegotiated;
        nextAvail = 0;
        nextUsed = 0;
        signalledUsed = 0;
        ready = true;
        return true;
    }

    private String layoutProblem(GuestMemory guestMemory) {
        if ((descTable & 15) != 0 || (availRing & 1) != 0 || (usedRing & 3) != 0) {
            return "queue areas misaligned: desc 0x" + Long.toHexString(descTable) + " avail 0x"
                    + Long.toHexString(availRing) + " used 0x" + Long.toHexString(usedRing);
        }
        if (!guestMemory.isValid(descTable, (long) DESCRIPTOR_SIZE * size)) {
            return "descriptor table 0x" + Long.toHexString(descTable) + " is not inside guest memory";
        }
        if (!guestMemory.isValid(availRing, 6L + 2L * size)) {
            return "avail ring 0x" + Long.toHexString(availRing) + " is not inside guest memory";
        }
        if (!guestMemory.isValid(usedRing, 6L + 8L * size)) {
            return "used ring 0x" + Long.toHexString(usedRing) + " is not inside guest memory";
        }
        return null;
    }

    /** Returns the queue to its state after construction: not ready, size at the maximum, no addresses. */
    public void reset() {
        ready = false;
        size = maxSize;
        descTable = 0;
        availRing = 0;
        usedRing = 0;
        memory = null;
        eventIdx = false;
        indirect = false;
        nextAvail = 0;
        nextUsed = 0;
        signalledUsed = 0;
    }

    private boolean reject(String message) {
        Log.LOG.log(Level.DEBUG, "virtqueue: {0}; ignored", message);
        return false;
    }

    /**
     * Takes the next available chain, or enables driver notifications and returns null when there
     * is none. With EVENT_IDX the device publishes {@code avail_event} only when the ring is
     * empty, so the driver does not notify while the device is still working through the ring;
     * after publishing it re-reads the avail index, closing the race with a driver that added a
     * buffer just before seeing the new {@code avail_event}.
     *
     * <p>The returned cursor is owned by the queue and reused: it is valid until the next pop.
     *
     * @return the chain positioned before its first descriptor, or null if the ring is empty
     * @throws VirtqueueException if the driver's avail index is more than a queue size ahead or
     *                            the head index is out of range
     * @throws IllegalStateException if the queue is not ready (a device bug, not the guest's)
     */
    public DescriptorChain pop() {
        if (!ready) {
            throw new IllegalStateException("virtqueue is not ready");
        }
        int pending = pendingEntries();
        if (pending == 0) {
            if (!eventIdx) {
                return null;
            }
            memory.writeShortRelease(usedRing + 4 + 8L * size, nextAvail);
            VarHandle.fullFence();
            pending = pendingEntries();
            if (pending == 0) {
                return null;
            }
        }
        int head = Short.toUnsignedInt(memory.readShort(availRing + 4 + 2L * (Short.toUnsignedInt(nextAvail) & (size - 1))));
        nextAvail++;
        if (head >= size) {
            throw new VirtqueueException("avail ring entry " + head + " is not below queue size " + size);
        }
        chain.start(head);
        return chain;
    }

    /** {@return whether the driver has made chains available that the device has not popped} */
    public boolean hasAvailable() {
        return ready && pendingEntries() != 0;
    }

    private int pendingEntries() {
        short availIdx = memory.readShortAcquire(availRing + 2);
        int pending = Short.toUnsignedInt((short) (availIdx - nextAvail));
        if (pending > size) {
            throw new VirtqueueException("avail index " + Short.toUnsignedInt(availIdx) + " is " + pending
                    + " entries ahead of " + Short.toUnsignedInt(nextAvail) + ", more than queue size " + size);
        }
        return pending;
    }

    /**
     * Returns a chain to the driver: writes the used element, then publishes the new used index
     * with release semantics.
     *
     * @param head    the chain's head index, as popped
     * @param written bytes the device wrote into the chain's device-writable buffers
     */
    public void addUsed(int head, int written) {
        if (!ready) {
            throw new IllegalStateException("virtqueue is not ready");
        }
        long element = usedRing + 4 + 8L * (Short.toUnsignedInt(nextUsed) & (size - 1));
        memory.writeInt(element, head);
        memory.writeInt(element + 4, written);
        nextUsed++;
        memory.writeShortRelease(usedRing + 2, nextUsed);
    }

    /**
     * Whether the driver wants an interrupt for the chains returned since the last call. With
     * EVENT_IDX that is when the used index has moved past {@code used_event} since the last
     * check; without it, unless the driver set {@code VIRTQ_AVAIL_F_NO_INTERRUPT}. Returns false
     * if nothing was returned since the last call.
     *
     * @return true if the transport should interrupt the guest
     */
    public boolean needsInterrupt() {
        if (!ready || nextUsed == signalledUsed) {
            return false;
        }
        // The used index store must be visible before the driver's suppression is read, or a driver
        // that re-enables interrupts concurrently could be missed by both sides.
        VarHandle.fullFence();
        short old = signalledUsed;
        signalledUsed = nextUsed;
        if (eventIdx) {
            short usedEvent = memory.readShort(availRing + 4 + 2L * size);
            return needEvent(usedEvent, nextUsed, old);
        }
        return (memory.readShort(availRing) & AVAIL_F_NO_INTERRUPT) == 0;
    }

    /**
     * VIRTIO 1.2's {@code vring_need_event}: whether moving an index from {@code old} to
     * {@code updated} crosses {@code event}, in 16-bit wrapping arithmetic.
     *
     * @param event   the index the other side asked to be told about
     * @param updated the index now
     * @param old     the index at the last notification decision
     * @return true if {@code event} lies in {@code [old, updated)}
     */
    public static boolean needEvent(short event, short updated, short old) {
        return Short.toUnsignedInt((short) (updated - event - 1)) < Short.toUnsignedInt((short) (updated - old));
    }

    /** {@return the index of the next avail ring entry the device will read} */
    public int nextAvail() {
        return Short.toUnsignedInt(nextAvail);
    }

    /** {@return the used index the device will publish next} */
    public int nextUsed() {
        return Short.toUnsignedInt(nextUsed);
    }

    GuestMemory memory() {
        return memory;
    }

    boolean indirectAllowed() {
        return indirect;
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(Virtqueue.class.getName());
    }
}
