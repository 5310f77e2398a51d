package org.jvmm.devices.virtio.blk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.devices.disk.DiskImage;
import org.jvmm.devices.virtio.AbstractVirtioDevice;
import org.jvmm.devices.virtio.ConfigSpace;
import org.jvmm.devices.virtio.VirtioContext;
import org.jvmm.devices.virtio.VirtioFeatures;
import org.jvmm.devices.virtio.queue.ChainBuffers;
import org.jvmm.devices.virtio.queue.DescriptorChain;
import org.jvmm.devices.virtio.queue.Virtqueue;
import org.jvmm.devices.virtio.queue.VirtqueueException;

/**
 * virtio-blk (device id 2, VIRTIO 1.2 section 5.2) over a raw image file: one request queue;
 * requests IN, OUT, FLUSH, GET_ID, DISCARD and WRITE_ZEROES.
 *
 * <p><b>Cache mode: writeback.</b> Writes go to the host page cache and reach the disk when the
 * guest sends FLUSH, which returns only after {@link java.nio.channels.FileChannel#force force(true)}.
 * VIRTIO_BLK_F_FLUSH is offered, so the guest knows it must flush; a host crash loses unflushed
 * writes exactly as a disk with a volatile cache would. A driver that does not accept
 * VIRTIO_BLK_F_FLUSH gets write-through, as VIRTIO 1.2 section 5.2.6 asks (a completed write is
 * stable when FLUSH was offered but not negotiated): each write is forced before it completes.
 *
 * <p><b>The image.</b> Opened once and locked ({@link java.nio.channels.FileChannel#tryLock}: exclusive for
 * read-write, shared for read-only), so two VMs cannot write one image; never truncated or grown.
 * Capacity is the file size in 512-byte sectors, rounded down. A read-only image offers
 * VIRTIO_BLK_F_RO and answers writes with IOERR. DISCARD only checks its ranges: a raw file
 * without fallocate(2) has nothing to give back, and the specification lets discarded sectors
 * keep their contents. Data moves directly between the file and guest memory, no copy.
 *
 * <p><b>Bounded work.</b> A request runs on the thread that notified (a vCPU or an ioeventfd
 * drain) under the transport's lock, so a stop waits for it. WRITE_ZEROES writes at most
 * {@link #MAX_WRITE_ZEROES_SECTORS} sectors in {@link #MAX_WRITE_ZEROES_SEGMENTS} segment (1 MiB)
 * and DISCARD covers at most {@link #MAX_DISCARD_SEGMENTS} segments of
 * {@link #MAX_DISCARD_SECTORS}, as offered in config space (VIRTIO 1.2, 5.2.4); a request beyond
 * them is refused before any work. A data buffer is moved in pieces of at most
 * {@link ChainBuffers#MAX_PIECE} bytes, so a descriptor of up to 2^32 - 1 bytes works.
 *
 * <p><b>Guest errors.</b> A request the disk cannot serve (past the end, sector arithmetic that
 * overflows, data not a multiple of 512 bytes, a DISCARD or WRITE_ZEROES segment longer than
 * offered) answers IOERR; an unknown type or flag, or more DISCARD or WRITE_ZEROES segments than
 * offered, answers UNSUPP; a malformed chain (no writable status byte, header shorter than 16 bytes)
 * is a {@link VirtqueueException}, and the transport sets DEVICE_NEEDS_RESET.
 */
public final class VirtioBlock extends AbstractVirtioDevice implements AutoCloseable {

    /** virtio device id of a block device. */
    public static final int DEVICE_ID = 2;

    /** Feature: {@code seg_max} is valid. */
    public static final int F_SEG_MAX = 2;
    /** Feature: the device is read-only. */
    public static final int F_RO = 5;
    /** Feature: {@code blk_size} is valid. */
    public static final int F_BLK_SIZE = 6;
    /** Feature: FLUSH is supported. */
    public static final int F_FLUSH = 9;
    /** Feature: DISCARD is supported. */
    public static final int F_DISCARD = 13;
    /** Feature: WRITE_ZEROES is supported. */
    public static final int F_WRITE_ZEROES = 14;

    /** Request type: read. */
    public static final int T_IN = 0;
    /** Request type: write. */
    public static final int T_OUT = 1;
    /** Request type: flush the write cache. */
    public static final int T_FLUSH = 4;
    /** Request type: device id string. */
    public static final int T_GET_ID = 8;
    /** Request type: discard sectors. */
    public static final int T_DISCARD = 11;
    /** Request type: write zeroes. */
    public static final int T_WRITE_ZEROES = 13;

    /** Status: success. */
    public static final int S_OK = 0;
    /** Status: the request failed. */
    public static final int S_IOERR = 1;
    /** Status: the request type or a flag is not supported. */
    public static final int S_UNSUPP = 2;

    /** Bytes per sector, the unit of every request. */
    public static final int SECTOR_SIZE = 512;
    /** Maximum size of the request queue. */
    public static final int QUEUE_SIZE = 256;
    /** Bytes of the device id GET_ID returns. */
    public static final int ID_BYTES = 20;
    /**
     * Most sectors in one WRITE_ZEROES segment ({@code max_write_zeroes_sectors}): 1 MiB. The
     * zeroes are written to the image while the vCPU or ioeventfd thread holds the transport's
     * lock, so the bound is on the work one request can ask for; a driver splits larger ranges.
     */
    public static final int MAX_WRITE_ZEROES_SECTORS = 2048;
    /** Most segments in one WRITE_ZEROES request ({@code max_write_zeroes_seg}). */
    public static final int MAX_WRITE_ZEROES_SEGMENTS = 1;
    /**
     * Most sectors in one DISCARD segment ({@code max_discard_sectors}): 2 GiB. A discard only
     * checks its ranges (nothing is written), so its limits bound reading the segments.
     */
    public static final int MAX_DISCARD_SECTORS = 1 << 22;
    /** Most segments in one DISCARD request ({@code max_discard_seg}). */
    public static final int MAX_DISCARD_SEGMENTS = 32;

    private static final int HEADER_SIZE = 16;
    private static final int SEGMENT_SIZE = 16;
    private static final int FLAG_UNMAP = 1;
    private static final int CONFIG_SIZE = 60;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final DiskImage image;
    private final boolean readOnly;
    private final long capacity;
    private final MemorySegment id;
    private final ChainBuffers buffers = new ChainBuffers(QUEUE_SIZE);
    private final MemorySegment scratch = MemorySegment.ofArray(new byte[HEADER_SIZE]);
    private final ByteBuffer zeroes = ByteBuffer.allocateDirect(64 * 1024);
    private final long[] segmentSectors = new long[MAX_WRITE_ZEROES_SEGMENTS];
    private final long[] segmentCounts = new long[MAX_WRITE_ZEROES_SEGMENTS];

    /**
     * Creates the device over an open image, which it then owns: {@link #close()} closes it.
     *
     * @param image  the disk; read-only images offer VIRTIO_BLK_F_RO
     * @param serial the id GET_ID returns: ASCII, at most 20 bytes are used
     */
    public VirtioBlock(DiskImage image, String serial) {
        super(DEVICE_ID, features(image.readOnly()), new ConfigSpace(CONFIG_SIZE), QUEUE_SIZE);
        this.path = image.path();
        this.image = image;
        this.readOnly = image.readOnly();
        this.capacity = image.sectors();
        byte[] idBytes = new byte[ID_BYTES];
        byte[] serialBytes = serial.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(serialBytes, 0, idBytes, 0, Math.min(ID_BYTES, serialBytes.length));
        this.id = MemorySegment.ofArray(idBytes);
        config.put(0, 8, capacity);
        config.put(12, 4, QUEUE_SIZE - 2);            // seg_max: header and status take two descriptors
        config.put(20, 4, SECTOR_SIZE);               // blk_size
        config.put(34, 2, 1);                         // num_queues
        config.put(36, 4, MAX_DISCARD_SECTORS);       // max_discard_sectors
        config.put(40, 4, MAX_DISCARD_SEGMENTS);      // max_discard_seg
        config.put(44, 4, 1);                         // discard_sector_alignment
        config.put(48, 4, MAX_WRITE_ZEROES_SECTORS);  // max_write_zeroes_sectors
        config.put(52, 4, MAX_WRITE_ZEROES_SEGMENTS); // max_write_zeroes_seg
    }

    private static long features(boolean readOnly) {
        long features = VirtioFeatures.bit(F_SEG_MAX) | VirtioFeatures.bit(F_BLK_SIZE) | VirtioFeatures.bit(F_FLUSH);
        return readOnly ? features | VirtioFeatures.bit(F_RO)
                : features | VirtioFeatures.bit(F_DISCARD) | VirtioFeatures.bit(F_WRITE_ZEROES);
    }

    /**
     * Opens a raw image with a serial derived from its file name.
     *
     * @param image    the image file
     * @param readOnly true to open it read-only and offer VIRTIO_BLK_F_RO
     * @return the device; close it when the VM is gone
     * @throws IOException if the image cannot be opened
     * @throws IllegalStateException if another process or device holds the image
     */
    public static VirtioBlock open(Path image, boolean readOnly) throws IOException {
        Path name = image.getFileName();
        return open(image, readOnly, name == null ? "jvmm" : name.toString());
    }

    /**
     * Opens a raw image.
     *
     * @param image    the image file
     * @param readOnly true to open it read-only and offer VIRTIO_BLK_F_RO
     * @param serial   the id GET_ID returns: ASCII, at most 20 bytes are used
     * @return the device; close it when the VM is gone
     * @throws IOException if the image cannot be opened
     * @throws IllegalStateException if another process or device holds the image
     */
    public static VirtioBlock open(Path image, boolean readOnly, String serial) throws IOException {
        return new VirtioBlock(DiskImage.open(image, readOnly), serial);
    }

    /** {@return the capacity in 512-byte sectors} */
    public long capacity() {
        return capacity;
    }

    /** {@return whether the image is read-only} */
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    protected void process(VirtioContext c, int queue) {
        Virtqueue q = c.queue(queue);
        DescriptorChain chain;
        while ((chain = q.pop()) != null) {
            int head = chain.head();
            buffers.collect(chain);
            serve(c, head);
        }
        c.signalUsed(queue);
    }

    private void serve(VirtioContext c, int head) {
        GuestMemory memory = c.memory();
        if (buffers.writableBytes() < 1) {
            throw new VirtqueueException("block request " + head + " has no device-writable status byte");
        }
        if (buffers.readableBytes() < HEADER_SIZE) {
            throw new VirtqueueException("block request " + head + " header is " + buffers.readableBytes()
                    + " bytes, needs 16");
        }
        long statusAddress = buffers.writableAddress(buffers.writableBytes() - 1);
        int type;
        long sector;
        if (buffers.length(0) >= HEADER_SIZE) {
            type = memory.readInt(buffers.address(0));
            sector = memory.readLong(buffers.address(0) + 8);
        } else {
            buffers.readFrom(memory, 0, scratch);
            type = scratch.get(LE_INT, 0);
            sector = scratch.get(LE_LONG, 8);
        }
        long dataIn = buffers.writableBytes() - 1;
        long dataOut = buffers.readableBytes() - HEADER_SIZE;
        int written = 0;
        long moved = 0;
        int status;
        try {
            switch (type) {
                case T_IN -> {
                    status = checkRange(sector, dataIn);
                    if (status == S_OK) {
                        transfer(memory, sector * SECTOR_SIZE, dataIn, true);
                        written = (int) dataIn;
                        moved = dataIn;
                    }
                }
                case T_OUT -> {
                    status = readOnly ? S_IOERR : checkRange(sector, dataOut);
                    if (status == S_OK) {
                        transfer(memory, sector * SECTOR_SIZE, dataOut, false);
                        writeThrough(c);
                        moved = dataOut;
                    }
                }
                case T_FLUSH -> {
                    image.flush();
                    status = S_OK;
                }
                case T_GET_ID -> {
                    int n = (int) Math.min(ID_BYTES, dataIn);
                    buffers.writeTo(memory, 0, id.asSlice(0, n));
                    written = n;
                    status = S_OK;
                }
                case T_DISCARD, T_WRITE_ZEROES -> {
                    status = readOnly ? S_UNSUPP : zeroes(memory, type == T_WRITE_ZEROES, dataOut);
                    if (status == S_OK && type == T_WRITE_ZEROES) {
                        writeThrough(c);
                    }
                }
                default -> status = S_UNSUPP;
            }
        } catch (IOException | UncheckedIOException e) {
            Log.LOG.log(Level.WARNING, "disk image " + path + ": " + e.getMessage());
            status = S_IOERR;
            written = 0;
        }
        memory.writeByte(statusAddress, (byte) status);
        c.addUsed(0, head, written + 1, moved);
    }

    /**
     * {@return whether completed writes are forced to the disk before they complete: true while the
     * driver has not accepted VIRTIO_BLK_F_FLUSH, so it has no other way to make them stable}
     */
    public boolean isWriteThrough() {
        VirtioContext c = context();
        return c != null && !VirtioFeatures.has(c.features(), F_FLUSH);
    }

    private void writeThrough(VirtioContext c) throws IOException {
        if (!VirtioFeatures.has(c.features(), F_FLUSH)) {
            image.flush();
        }
    }

    /** OK if {@code bytes} at {@code sector} is whole sectors inside the disk, else IOERR. */
    private int checkRange(long sector, long bytes) {
        if (bytes % SECTOR_SIZE != 0) {
            return S_IOERR;
        }
        return sectorsInside(sector, bytes / SECTOR_SIZE) ? S_OK : S_IOERR;
    }

    /** Whether {@code count} sectors from {@code sector} (unsigned) are inside the disk, without overflow. */
    private boolean sectorsInside(long sector, long count) {
        return Long.compareUnsigned(sector, capacity) <= 0 && Long.compareUnsigned(count, capacity - sector) <= 0;
    }

    /** Moves {@code length} data bytes between the image and the chain: writable stream for reads, readable after the header for writes. */
    private void transfer(GuestMemory memory, long position, long length, boolean toGuest) throws IOException {
        int first = toGuest ? buffers.firstWritable() : 0;
        int end = toGuest ? buffers.count() : buffers.firstWritable();
        long skip = toGuest ? 0 : HEADER_SIZE;
        long remaining = length;
        long pos = position;
        for (int i = first; i < end && remaining > 0; i++) {
            long len = buffers.length(i);
            if (skip >= len) {
                skip -= len;
                continue;
            }
            long n = Math.min(len - skip, remaining);
            long address = buffers.address(i) + skip;
            for (long done = 0; done < n; ) {
                ByteBuffer data = ChainBuffers.piece(memory, address + done, n - done);
                int piece = data.remaining();
                if (toGuest) {
                    image.readAt(data, pos + done);
                } else {
                    image.writeAt(data, pos + done);
                }
                done += piece;
            }
            pos += n;
            remaining -= n;
            skip = 0;
        }
    }

    /**
     * DISCARD and WRITE_ZEROES: every segment is read once and validated before any is acted on,
     * so a bad segment changes nothing and the guest cannot change a segment after its check.
     * Beyond the limits offered in config space: more segments is UNSUPP (QEMU's answer to more
     * segments than it takes), a segment of more sectors IOERR (QEMU's, and the answer to any
     * range the disk cannot serve).
     */
    private int zeroes(GuestMemory memory, boolean write, long payload) throws IOException {
        if (payload == 0 || payload % SEGMENT_SIZE != 0) {
            return S_IOERR;
        }
        if (payload / SEGMENT_SIZE > (write ? MAX_WRITE_ZEROES_SEGMENTS : MAX_DISCARD_SEGMENTS)) {
            return S_UNSUPP;
        }
        int segments = (int) (payload / SEGMENT_SIZE);
        long maxSectors = write ? MAX_WRITE_ZEROES_SECTORS : MAX_DISCARD_SECTORS;
        for (int s = 0; s < segments; s++) {
            buffers.readFrom(memory, HEADER_SIZE + (long) s * SEGMENT_SIZE, scratch);
            long sector = scratch.get(LE_LONG, 0);
            long count = Integer.toUnsignedLong(scratch.get(LE_INT, 8));
            int flags = scratch.get(LE_INT, 12);
            if ((flags & ~FLAG_UNMAP) != 0 || !write && flags != 0) {
                return S_UNSUPP;
            }
            if (count > maxSectors || !sectorsInside(sector, count)) {
                return S_IOERR;
            }
            if (write) {
                segmentSectors[s] = sector;
                segmentCounts[s] = count;
            }
        }
        if (write) {
            for (int s = 0; s < segments; s++) {
                writeZeroes(segmentSectors[s] * SECTOR_SIZE, segmentCounts[s] * SECTOR_SIZE);
            }
        }
        return S_OK;
    }

    private void writeZeroes(long position, long length) throws IOException {
        long pos = position;
        long end = position + length;
        while (pos < end) {
            zeroes.clear().limit((int) Math.min(zeroes.capacity(), end - pos));
            image.writeAt(zeroes, pos);
            pos += zeroes.limit();
        }
    }

    /** Makes what the guest wrote durable, releases the image lock and closes the file. */
    @Override
    public void close() throws IOException {
        try {
            // A clean stop (end of run, SIGTERM) leaves nothing the guest wrote in the page cache only.
            image.flush();
        } finally {
            image.close();
        }
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(VirtioBlock.class.getName());
    }
}
