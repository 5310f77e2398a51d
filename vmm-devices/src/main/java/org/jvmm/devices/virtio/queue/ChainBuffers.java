package org.jvmm.devices.virtio.queue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.jvmm.core.memory.GuestMemory;

/**
 * A whole descriptor chain gathered into reusable arrays, for devices whose requests need the end
 * of the chain before the start can be acted on (virtio-blk's status byte is the last writable
 * byte). VIRTIO 1.2 lets the driver split a request across descriptors any way it likes
 * (2.7.4, message framing), so requests are seen as two byte streams: the device-readable bytes,
 * then the device-writable bytes. Buffers {@code 0 .. firstWritable()-1} are readable, the rest
 * writable; {@link DescriptorChain} guarantees that order.
 *
 * <p>{@link #collect} checks the whole chain before a device acts on any of it: the chain rules of
 * {@link DescriptorChain}, and every buffer inside one region of guest memory. A chain that breaks
 * halfway (a loop, a buffer past the end of RAM) therefore moves no data at all, instead of
 * what came before the fault. Buffers are recorded once, so checking them here is not undone by
 * a guest that rewrites its descriptors afterwards.
 *
 * <p>One instance per device queue, sized to the queue's maximum, allocates nothing per chain.
 */
public final class ChainBuffers {

    /**
     * The most bytes of guest memory one {@link #piece} covers. A descriptor may be 2^32 - 1 bytes
     * long, and with 3 GiB of RAM or more such a buffer lies inside one region, but a
     * {@link ByteBuffer} holds less than 2^31 bytes: devices hand host I/O a long buffer piece by
     * piece.
     */
    public static final int MAX_PIECE = 1 << 30;

    private final long[] addresses;
    private final int[] lengths;
    private int count;
    private int firstWritable;
    private long readable;
    private long writable;

    /**
     * Creates empty buffers.
     *
     * @param capacity the most buffers a chain can hold: the queue's maximum size
     */
    public ChainBuffers(int capacity) {
        addresses = new long[capacity];
        lengths = new int[capacity];
    }

    /**
     * Walks {@code chain} to its end and records every buffer.
     *
     * @param chain a freshly popped chain
     * @throws VirtqueueException if the chain is malformed or a buffer is not inside guest memory
     * @throws org.jvmm.core.memory.GuestMemoryException if a descriptor lies outside guest memory
     */
    public void collect(DescriptorChain chain) {
        count = 0;
        firstWritable = -1;
        readable = 0;
        writable = 0;
        GuestMemory memory = chain.memory();
        while (chain.next()) {
            if (count == addresses.length) {
                throw new VirtqueueException("chain has more than " + addresses.length + " buffers");
            }
            long length = Integer.toUnsignedLong(chain.length());
            // Empty buffers are never accessed, so where they point does not matter.
            if (length != 0 && !memory.isValid(chain.address(), length)) {
                throw new VirtqueueException("descriptor chain at head " + chain.head() + ": buffer 0x"
                        + Long.toHexString(chain.address()) + " +" + length + " is not inside guest memory");
            }
            if (chain.isWriteOnly()) {
                if (firstWritable < 0) {
                    firstWritable = count;
                }
                writable += length;
            } else {
                readable += length;
            }
            addresses[count] = chain.address();
            lengths[count] = chain.length();
            count++;
        }
        if (firstWritable < 0) {
            firstWritable = count;
        }
    }

    /**
     * A {@link ByteBuffer} over the start of a stretch of guest memory, for host I/O: the whole
     * stretch if it is at most {@link #MAX_PIECE} bytes, else its first {@code MAX_PIECE} bytes.
     *
     * @param memory    guest memory
     * @param address   guest address of the stretch
     * @param remaining bytes in the stretch, positive
     * @return a buffer over {@code min(remaining, MAX_PIECE)} bytes at {@code address}, the guest's
     *         own memory
     * @throws org.jvmm.core.memory.GuestMemoryException if those bytes are not inside one region
     */
    public static ByteBuffer piece(GuestMemory memory, long address, long remaining) {
        return memory.slice(address, Math.min(remaining, MAX_PIECE)).asByteBuffer();
    }

    /** {@return the number of buffers} */
    public int count() {
        return count;
    }

    /** {@return the index of the first device-writable buffer, or {@link #count} if none} */
    public int firstWritable() {
        return firstWritable;
    }

    /**
     * The guest address of a buffer.
     *
     * @param i buffer index
     * @return guest-physical address
     */
    public long address(int i) {
        return addresses[i];
    }

    /**
     * The length of a buffer.
     *
     * @param i buffer index
     * @return length in bytes, as a non-negative long
     */
    public long length(int i) {
        return Integer.toUnsignedLong(lengths[i]);
    }

    /** {@return total bytes in device-readable buffers} */
    public long readableBytes() {
        return readable;
    }

    /** {@return total bytes in device-writable buffers} */
    public long writableBytes() {
        return writable;
    }

    /**
     * Copies device-readable bytes, starting {@code offset} bytes into the readable stream, into
     * {@code destination}.
     *
     * @param memory      guest memory
     * @param offset      offset into the readable stream
     * @param destination where the bytes go; its size is the count, which must fit
     * @throws org.jvmm.core.memory.GuestMemoryException if a buffer lies outside guest memory
     */
    public void readFrom(GuestMemory memory, long offset, MemorySegment destination) {
        long wanted = destination.byteSize();
        if (offset + wanted > readable) {
            throw new IllegalArgumentException("read past the readable bytes");
        }
        long done = 0;
        long skip = offset;
        for (int i = 0; i < firstWritable && done < wanted; i++) {
            long len = length(i);
            if (skip >= len) {
                skip -= len;
                continue;
            }
            long n = Math.min(len - skip, wanted - done);
            MemorySegment.copy(memory.slice(addresses[i] + skip, n), 0, destination, done, n);
            done += n;
            skip = 0;
        }
    }

    /**
     * Copies {@code source} into the device-writable bytes, starting {@code offset} bytes into
     * the writable stream.
     *
     * @param memory guest memory
     * @param offset offset into the writable stream
     * @param source the bytes; they must fit
     * @throws org.jvmm.core.memory.GuestMemoryException if a buffer lies outside guest memory
     */
    public void writeTo(GuestMemory memory, long offset, MemorySegment source) {
        long wanted = source.byteSize();
        if (offset + wanted > writable) {
            throw new IllegalArgumentException("write past the writable bytes");
        }
        long done = 0;
        long skip = offset;
        for (int i = firstWritable; i < count && done < wanted; i++) {
            long len = length(i);
            if (skip >= len) {
                skip -= len;
                continue;
            }
            long n = Math.min(len - skip, wanted - done);
            MemorySegment.copy(source, done, memory.slice(addresses[i] + skip, n), 0, n);
            done += n;
            skip = 0;
        }
    }

    /**
     * The guest address of the byte {@code offset} bytes into the writable stream.
     *
     * @param offset offset into the writable stream, below {@link #writableBytes}
     * @return guest-physical address
     */
    public long writableAddress(long offset) {
        long skip = offset;
        for (int i = firstWritable; i < count; i++) {
            long len = length(i);
            if (skip < len) {
                return addresses[i] + skip;
            }
            skip -= len;
        }
        throw new IllegalArgumentException("offset " + offset + " is past the writable bytes");
    }
}
