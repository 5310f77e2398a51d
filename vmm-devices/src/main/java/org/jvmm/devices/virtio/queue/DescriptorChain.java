package org.jvmm.devices.virtio.queue;

import org.jvmm.core.memory.GuestMemory;

/**
 * A cursor over one descriptor chain, owned by its {@link Virtqueue} and reused for every chain so
 * walking allocates nothing. {@link #next} reads one descriptor from guest memory, checks it, and
 * exposes its buffer through {@link #address}, {@link #length} and {@link #isWriteOnly}; an
 * indirect descriptor is followed into its table transparently.
 *
 * <p>Hostile chains end in a {@link VirtqueueException}: more descriptors than the queue size (a
 * loop), a {@code next} index outside the table, an indirect descriptor when
 * VIRTIO_F_INDIRECT_DESC was not negotiated, inside an indirect table, combined with
 * {@code NEXT}, with a length that is zero, not a multiple of 16 or more than 65536 entries, or a
 * table not inside one region of guest memory, a
 * device-readable buffer after a device-writable one, and total length above 2^32 - 1. Descriptor
 * reads outside guest memory raise {@link org.jvmm.core.memory.GuestMemoryException}; buffer
 * addresses are checked by whoever accesses them, when they access them, or all at once by
 * {@link ChainBuffers#collect}.
 */
public final class DescriptorChain {

    private static final long MAX_TOTAL_LENGTH = 0xFFFF_FFFFL;
    private static final int MAX_INDIRECT_ENTRIES = 65536;

    private final Virtqueue queue;

    private int head;
    private boolean finished;
    private int hops;
    private long table;
    private int tableSize;
    private int index;
    private boolean inIndirect;
    private boolean sawWritable;
    private long totalLength;

    private long address;
    private int length;
    private boolean writeOnly;

    DescriptorChain(Virtqueue queue) {
        this.queue = queue;
    }

    void start(int headIndex) {
        head = headIndex;
        finished = false;
        hops = 0;
        table = queue.descriptorTable();
        tableSize = queue.size();
        index = headIndex;
        inIndirect = false;
        sawWritable = false;
        totalLength = 0;
        address = 0;
        length = 0;
        writeOnly = false;
    }

    /** {@return the memory the chain's buffers live in} */
    GuestMemory memory() {
        return queue.memory();
    }

    /** {@return the head index, which goes into the used ring when the chain is returned} */
    public int head() {
        return head;
    }

    /**
     * Moves to the next buffer of the chain.
     *
     * @return true if positioned on a buffer, false at the end of the chain
     * @throws VirtqueueException if the chain breaks one of the rules above
     * @throws org.jvmm.core.memory.GuestMemoryException if a descriptor lies outside guest memory
     */
    public boolean next() {
        if (finished) {
            return false;
        }
        GuestMemory memory = queue.memory();
        while (true) {
            if (++hops > queue.size()) {
                throw fail("chain longer than queue size " + queue.size() + " (a loop?)");
            }
            long descriptor = table + (long) Virtqueue.DESCRIPTOR_SIZE * index;
            long addr = memory.readLong(descriptor);
            int len = memory.readInt(descriptor + 8);
            int flags = Short.toUnsignedInt(memory.readShort(descriptor + 12));
            int nextIndex = Short.toUnsignedInt(memory.readShort(descriptor + 14));

            if ((flags & Virtqueue.DESC_F_INDIRECT) != 0) {
                enterIndirect(addr, len, flags);
                continue;
            }
            boolean writable = (flags & Virtqueue.DESC_F_WRITE) != 0;
            if (!writable && sawWritable) {
                throw fail("device-readable descriptor after a device-writable one");
            }
            totalLength += Integer.toUnsignedLong(len);
            if (totalLength > MAX_TOTAL_LENGTH) {
                throw fail("total chain length exceeds 2^32 - 1");
            }
            if ((flags & Virtqueue.DESC_F_NEXT) != 0) {
                if (nextIndex >= tableSize) {
                    throw fail("next index " + nextIndex + " is not below table size " + tableSize);
                }
                index = nextIndex;
            } else {
                finished = true;
            }
            sawWritable |= writable;
            address = addr;
            length = len;
            writeOnly = writable;
            return true;
        }
    }

    private void enterIndirect(long addr, int len, int flags) {
        if (!queue.indirectAllowed()) {
            throw fail("indirect descriptor but VIRTIO_F_INDIRECT_DESC was not negotiated");
        }
        if (inIndirect) {
            throw fail("indirect descriptor inside an indirect table");
        }
        if ((flags & Virtqueue.DESC_F_NEXT) != 0) {
            throw fail("indirect descriptor with NEXT set");
        }
        long entries = Integer.toUnsignedLong(len) / Virtqueue.DESCRIPTOR_SIZE;
        if (len == 0 || (len & (Virtqueue.DESCRIPTOR_SIZE - 1)) != 0 || entries > MAX_INDIRECT_ENTRIES) {
            throw fail("indirect table length " + Integer.toUnsignedString(len)
                    + " is not a non-zero multiple of 16 of at most 65536 entries");
        }
        // Checked whole here, not entry by entry, so a table straddling the end of RAM is refused
        // even if the chain would end before the missing part.
        if (!queue.memory().isValid(addr, len)) {
            throw fail("indirect table 0x" + Long.toHexString(addr) + " +" + len + " is not inside guest memory");
        }
        inIndirect = true;
        table = addr;
        tableSize = (int) entries;
        index = 0;
        // The indirect descriptor carries no buffer; only buffers count against the hop budget.
        hops--;
    }

    private VirtqueueException fail(String message) {
        finished = true;
        return new VirtqueueException("descriptor chain at head " + head + ": " + message);
    }

    /** {@return the guest-physical address of the current buffer} */
    public long address() {
        return address;
    }

    /** {@return the length of the current buffer in bytes, unsigned} */
    public int length() {
        return length;
    }

    /** {@return whether the current buffer is device-writable (else device-readable)} */
    public boolean isWriteOnly() {
        return writeOnly;
    }
}
