package org.jvmm.devices.virtio.blk;

import static org.jvmm.devices.virtio.DriverQueue.ro;
import static org.jvmm.devices.virtio.DriverQueue.rw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvmm.devices.disk.DiskImage;
import org.jvmm.devices.disk.RecordingChannel;
import org.jvmm.devices.disk.ForceEvents;
import org.jvmm.devices.virtio.DeviceStatus;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;
import org.jvmm.devices.virtio.VirtioFeatures;

class VirtioBlockTest {

    private static final int SECTORS = 64;

    @TempDir
    Path dir;
    private Path image;
    private byte[] original;
    private final TestGuest guest = new TestGuest(1 << 20);
    private VirtioBlock block;
    private MmioDriver driver;
    private DriverQueue q;

    @BeforeEach
    void createImage() throws IOException {
        original = new byte[SECTORS * 512 + 100]; // a partial trailing sector is not part of the disk
        new Random(7).nextBytes(original);
        image = dir.resolve("disk.img");
        Files.write(image, original);
    }

    @AfterEach
    void close() throws IOException {
        if (block != null) {
            block.close();
        }
        guest.close();
    }

    private void live(boolean readOnly) throws IOException {
        block = VirtioBlock.open(image, readOnly, "serial-123");
        driver = new MmioDriver(guest, block);
        driver.negotiateAll();
        q = driver.setupQueue(0, 16);
        driver.driverOk();
    }

    private long header(int type, long sector) {
        ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, type).putLong(8, sector);
        return guest.put(h.array());
    }

    /** Sends one request; returns the status byte, or -1 if the request was not completed. */
    private int request(long[]... buffers) {
        long[] last = buffers[buffers.length - 1];
        long status = last[0] + last[1] - 1;
        guest.memory.writeByte(status, (byte) 0x55);
        int before = q.usedIdx();
        q.add(buffers);
        driver.notify(0);
        if (q.usedIdx() == before) {
            return -1;
        }
        return guest.memory.readByte(status);
    }

    private int status(long[]... buffers) {
        return request(buffers);
    }

    private byte[] file() throws IOException {
        return Files.readAllBytes(image);
    }

    @Test
    void configReportsCapacityAndLimits() throws IOException {
        live(false);
        assertEquals(2, driver.read(MmioDriver.DEVICE_ID));
        assertEquals(SECTORS, driver.readConfig(0, 8));
        assertEquals(VirtioBlock.QUEUE_SIZE - 2, driver.readConfig(12, 4), "seg_max");
        assertEquals(512, driver.readConfig(20, 4), "blk_size");
        assertEquals(VirtioBlock.MAX_DISCARD_SECTORS, driver.readConfig(36, 4), "max_discard_sectors");
        assertEquals(VirtioBlock.MAX_DISCARD_SEGMENTS, driver.readConfig(40, 4), "max_discard_seg");
        assertEquals(1, driver.readConfig(44, 4), "discard_sector_alignment");
        assertEquals(VirtioBlock.MAX_WRITE_ZEROES_SECTORS, driver.readConfig(48, 4), "max_write_zeroes_sectors");
        assertEquals(VirtioBlock.MAX_WRITE_ZEROES_SEGMENTS, driver.readConfig(52, 4), "max_write_zeroes_seg");
        assertEquals(0, driver.readConfig(56, 1), "write_zeroes_may_unmap: zeroes are written, never unmapped");
        assertTrue((long) VirtioBlock.MAX_WRITE_ZEROES_SECTORS * VirtioBlock.MAX_WRITE_ZEROES_SEGMENTS * 512 <= 1 << 20,
                "a WRITE_ZEROES request writes at most 1 MiB");
        long features = driver.deviceFeatures();
        assertTrue(VirtioFeatures.has(features, VirtioBlock.F_SEG_MAX), "seg_max is valid");
        assertTrue(VirtioFeatures.has(features, VirtioBlock.F_BLK_SIZE), "blk_size is valid");
        assertTrue(VirtioFeatures.has(features, VirtioBlock.F_FLUSH));
        assertTrue(VirtioFeatures.has(features, VirtioBlock.F_DISCARD));
        assertTrue(VirtioFeatures.has(features, VirtioBlock.F_WRITE_ZEROES));
        assertFalse(VirtioFeatures.has(features, VirtioBlock.F_RO));
    }

    @Test
    void readsMatchTheFile() throws IOException {
        live(false);
        long data1 = guest.alloc(512, 512);
        long data2 = guest.alloc(1024, 512);
        long st = guest.alloc(1, 1);
        int head = q.chain(ro(header(VirtioBlock.T_IN, 3), 16), rw(data1, 512), rw(data2, 1024), rw(st, 1));
        q.publish(head);
        driver.notify(0);
        assertEquals(VirtioBlock.S_OK, guest.memory.readByte(st));
        assertArrayEquals(Arrays.copyOfRange(original, 3 * 512, 4 * 512), guest.get(data1, 512));
        assertArrayEquals(Arrays.copyOfRange(original, 4 * 512, 6 * 512), guest.get(data2, 1024));
        assertArrayEquals(new int[] {head, 1537}, q.takeUsed()[0], "data plus the status byte");
        assertTrue(driver.irq.level);
    }

    @Test
    void aHeaderSplitAcrossDescriptorsAndStatusSharingTheDataBufferWork() throws IOException {
        live(false);
        long h = header(VirtioBlock.T_IN, 1);
        long dataAndStatus = guest.alloc(513, 8);
        assertEquals(VirtioBlock.S_OK, status(ro(h, 5), ro(h + 5, 11), rw(dataAndStatus, 513)));
        assertArrayEquals(Arrays.copyOfRange(original, 512, 1024), guest.get(dataAndStatus, 512));
    }

    /** Any framing is valid (VIRTIO 1.2 2.7.4): the header and the data of an OUT request in one buffer. */
    @Test
    void aWriteWhoseHeaderAndDataShareOneBufferWritesTheDataOnly() throws IOException {
        live(false);
        ByteBuffer request = ByteBuffer.allocate(16 + 512).order(ByteOrder.LITTLE_ENDIAN);
        request.putInt(0, VirtioBlock.T_OUT).putLong(8, 4);
        for (int i = 0; i < 512; i++) {
            request.put(16 + i, (byte) (i * 7 + 1));
        }
        long buffer = guest.put(request.array());
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_OK, status(ro(buffer, 16 + 512), rw(st, 1)));
        byte[] expected = original.clone();
        System.arraycopy(request.array(), 16, expected, 4 * 512, 512);
        assertArrayEquals(expected, file(), "sector 4 holds the bytes after the header, nothing else changed");
    }

    @Test
    void writesChangeExactlyTheirSectors() throws IOException {
        live(false);
        byte[] payload = new byte[1024];
        Arrays.fill(payload, (byte) 0xAB);
        long data = guest.put(payload);
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_OUT, 10), 16), ro(data, 512), ro(data + 512, 512), rw(st, 1)));
        byte[] expected = original.clone();
        System.arraycopy(payload, 0, expected, 10 * 512, 1024);
        assertArrayEquals(expected, file());
        assertEquals(1, q.takeUsed()[0][1], "only the status byte was written");
        assertEquals(1024, driver.observer.chains.get(0)[1]);
    }

    @Test
    void flushAnswersOkOnceTheImageIsOnStableStorage() throws IOException {
        RecordingChannel channel = RecordingChannel.open(image, false);
        block = new VirtioBlock(DiskImage.open(image, channel, false), "serial-123");
        driver = new MmioDriver(guest, block);
        driver.negotiateAll();
        q = driver.setupQueue(0, 16);
        driver.driverOk();
        assertFalse(block.isWriteThrough(), "a driver that accepted FLUSH gets writeback");
        long data = guest.put(new byte[512]);
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_OUT, 1), 16), ro(data, 512), rw(st, 1)));
        assertEquals(0, channel.forcesWithMetadata, "writeback: a write completes unforced");
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_FLUSH, 0), 16), rw(st, 1)));
        assertEquals(1, channel.forcesWithMetadata, "FLUSH answered after force(true)");
    }

    /** Writeback: OUT completes into the page cache, FLUSH forces the image, and so does close. */
    @Test
    void flushForcesTheImageAndWritebackWritesDoNot() throws Exception {
        live(false);
        long data = guest.put(new byte[512]);
        long st = guest.alloc(1, 1);
        assertEquals(0, ForceEvents.count(image, () -> assertEquals(VirtioBlock.S_OK,
                status(ro(header(VirtioBlock.T_OUT, 3), 16), ro(data, 512), rw(st, 1)))), "OUT in writeback mode");
        assertEquals(1, ForceEvents.count(image, () -> assertEquals(VirtioBlock.S_OK,
                status(ro(header(VirtioBlock.T_FLUSH, 0), 16), rw(st, 1)))), "FLUSH");
        assertEquals(1, ForceEvents.count(image, () -> block.close()), "close");
        block = null;
    }

    /** VIRTIO 1.2 5.2.6: with FLUSH offered but not negotiated, a completed write is stable. */
    @Test
    void aDriverWithoutFlushGetsWriteThrough() throws IOException {
        RecordingChannel channel = RecordingChannel.open(image, false);
        block = new VirtioBlock(DiskImage.open(image, channel, false), "serial-123");
        assertFalse(block.isWriteThrough(), "no driver yet");
        driver = new MmioDriver(guest, block);
        long accepted = driver.deviceFeatures() & ~VirtioFeatures.bit(VirtioBlock.F_FLUSH);
        assertEquals(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK, driver.negotiate(accepted));
        q = driver.setupQueue(0, 16);
        driver.driverOk();
        assertTrue(block.isWriteThrough());
        byte[] payload = new byte[512];
        Arrays.fill(payload, (byte) 0x3c);
        long data = guest.put(payload);
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_OUT, 5), 16), ro(data, 512), rw(st, 1)));
        assertEquals(1, channel.forcesWithMetadata, "the write was forced before it completed");
        assertArrayEquals(payload, Arrays.copyOfRange(file(), 5 * 512, 6 * 512));
        driver.negotiateAll();
        q = driver.setupQueue(0, 16);
        driver.driverOk();
        assertFalse(block.isWriteThrough(), "after a reset, a driver that accepts FLUSH: writeback again");
    }

    @Test
    void getIdReturnsTheSerial() throws IOException {
        live(false);
        long id = guest.alloc(20, 8);
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_GET_ID, 0), 16), rw(id, 20), rw(st, 1)));
        byte[] expected = Arrays.copyOf("serial-123".getBytes(), 20);
        assertArrayEquals(expected, guest.get(id, 20));
        assertEquals(21, q.takeUsed()[0][1]);
    }

    @Test
    void readOnlyImagesRefuseWrites() throws IOException {
        live(true);
        assertTrue(VirtioFeatures.has(driver.deviceFeatures(), VirtioBlock.F_RO));
        assertFalse(VirtioFeatures.has(driver.deviceFeatures(), VirtioBlock.F_WRITE_ZEROES));
        long data = guest.put(new byte[512]);
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_OUT, 0), 16), ro(data, 512), rw(st, 1)));
        assertEquals(VirtioBlock.S_UNSUPP, status(ro(header(VirtioBlock.T_WRITE_ZEROES, 0), 16), ro(segment(0, 1, 0), 16), rw(st, 1)));
        long in = guest.alloc(512, 8);
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_IN, 0), 16), rw(in, 512), rw(st, 1)));
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_FLUSH, 0), 16), rw(st, 1)));
        assertArrayEquals(original, file());
    }

    @Test
    void requestsPastTheEndOrOverflowingAnswerIoerr() throws IOException {
        live(false);
        long data = guest.alloc(1024, 8);
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_IN, SECTORS - 1), 16), rw(data, 1024), rw(st, 1)));
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_OUT, SECTORS), 16), ro(data, 512), rw(st, 1)));
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_OUT, -1L), 16), ro(data, 512), rw(st, 1)));
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_IN, Long.MAX_VALUE / 256), 16), rw(data, 512), rw(st, 1)));
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_IN, 0), 16), rw(data, 100), rw(st, 1)), "not whole sectors");
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_IN, SECTORS - 2), 16), rw(data, 1024), rw(st, 1)), "the last sectors");
        assertArrayEquals(original, file());
        assertEquals(original.length, Files.size(image), "never grown");
    }

    @Test
    void unknownTypesAnswerUnsupp() throws IOException {
        live(false);
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_UNSUPP, status(ro(header(99, 0), 16), rw(st, 1)));
        assertEquals(1, q.takeUsed()[0][1]);
    }

    @Test
    void aMissingOrReadableStatusNeedsReset() throws IOException {
        live(false);
        long st = guest.alloc(1, 1);
        q.add(ro(header(VirtioBlock.T_FLUSH, 0), 16), ro(st, 1));
        driver.notify(0);
        assertTrue(driver.needsReset());
        assertEquals(0, q.usedIdx());
    }

    @Test
    void aShortHeaderNeedsReset() throws IOException {
        live(false);
        long st = guest.alloc(1, 1);
        q.add(ro(header(VirtioBlock.T_IN, 0), 12), rw(st, 1));
        driver.notify(0);
        assertTrue(driver.needsReset());
    }

    @Test
    void dataOutsideRamNeedsReset() throws IOException {
        live(false);
        long st = guest.alloc(1, 1);
        q.add(ro(header(VirtioBlock.T_IN, 0), 16), rw(0x7000_0000L, 512), rw(st, 1));
        driver.notify(0);
        assertTrue(driver.needsReset());
    }

    @Test
    void aWriteWithOneBufferOutsideRamWritesNothing() throws IOException {
        live(false);
        byte[] xs = new byte[512];
        Arrays.fill(xs, (byte) 'X');
        long st = guest.alloc(1, 1);
        q.add(ro(header(VirtioBlock.T_OUT, 0), 16), ro(guest.put(xs), 512), ro(0x7000_0000L, 512), rw(st, 1));
        driver.notify(0);
        assertTrue(driver.needsReset());
        assertArrayEquals(original, file(), "the good first buffer must not reach the disk either");
    }

    private long segment(long sector, int count, int flags) {
        ByteBuffer s = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        s.putLong(0, sector).putInt(8, count).putInt(12, flags);
        return guest.put(s.array());
    }

    @Test
    void writeZeroesZeroesExactlyItsRanges() throws IOException {
        live(false);
        long st = guest.alloc(1, 1);
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_WRITE_ZEROES, 0), 16), ro(segment(2, 1, 0), 16), rw(st, 1)));
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_WRITE_ZEROES, 0), 16), ro(segment(5, 3, 1), 16), rw(st, 1)),
                "unmap is allowed on WRITE_ZEROES: the zeroes are written either way");
        byte[] expected = original.clone();
        Arrays.fill(expected, 2 * 512, 3 * 512, (byte) 0);
        Arrays.fill(expected, 5 * 512, 8 * 512, (byte) 0);
        assertArrayEquals(expected, file());
    }

    @Test
    void badZeroesAndDiscardsChangeNothing() throws IOException {
        live(false);
        long st = guest.alloc(1, 1);
        long segs = guest.alloc(32, 8);
        guest.slice(segs, 16).copyFrom(guest.slice(segment(2, 1, 0), 16));
        guest.slice(segs + 16, 16).copyFrom(guest.slice(segment(SECTORS - 1, 2, 0), 16));
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_DISCARD, 0), 16), ro(segs, 32), rw(st, 1)),
                "second segment runs past the end");
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_WRITE_ZEROES, 0), 16), ro(segs + 16, 16), rw(st, 1)),
                "runs past the end");
        assertEquals(VirtioBlock.S_UNSUPP, status(ro(header(VirtioBlock.T_WRITE_ZEROES, 0), 16), ro(segment(0, 1, 2), 16), rw(st, 1)),
                "unknown flag");
        assertEquals(VirtioBlock.S_UNSUPP, status(ro(header(VirtioBlock.T_DISCARD, 0), 16), ro(segment(0, 1, 1), 16), rw(st, 1)),
                "unmap on discard");
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_DISCARD, 0), 16), ro(segment(0, 1, 0), 12), rw(st, 1)),
                "partial segment");
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(VirtioBlock.T_DISCARD, 0), 16), ro(segment(-2L, 4, 0), 16), rw(st, 1)),
                "sector arithmetic wraps");
        assertEquals(VirtioBlock.S_OK, status(ro(header(VirtioBlock.T_DISCARD, 0), 16), ro(segment(0, SECTORS, 0), 16), rw(st, 1)));
        assertArrayEquals(original, file(), "discard keeps the data of a raw file");
    }

    @Test
    void aSecondOpenOfTheSameImageFails() throws IOException {
        live(false);
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> VirtioBlock.open(image, false));
        assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        block.close();
        block = VirtioBlock.open(image, false);
    }

    @Test
    void aMissingImageFailsWithIoException() {
        assertThrows(IOException.class, () -> VirtioBlock.open(dir.resolve("missing.img"), true));
    }

    /** The request a driver that ignores the limits sends: {@code segments} segments of {@code sectors} each. */
    private long[] segments(int segments, long firstSector, int sectors) {
        long segs = guest.alloc(16L * segments, 8);
        for (int i = 0; i < segments; i++) {
            guest.slice(segs + 16L * i, 16).copyFrom(guest.slice(segment(firstSector + (long) i * sectors, sectors, 0), 16));
        }
        return ro(segs, 16L * segments);
    }

    /**
     * VIRTIO 1.2 5.2.4: the device limits DISCARD and WRITE_ZEROES in its config space, and a
     * request beyond them is refused before any work: more segments than offered is UNSUPP (as
     * QEMU answers it), a segment longer than offered is IOERR. Before the limits, one 16-byte
     * segment asked for 1 GiB of zeroes, and 32 of them 32 GiB, all written on the vCPU thread
     * under the transport's lock. The image is a 64 GiB sparse file behind a channel that counts
     * what would be written without writing it.
     */
    @Test
    void discardsAndWriteZeroesBeyondTheOfferedLimitsAreRefusedBeforeAnyWork() throws IOException {
        Path big = dir.resolve("big.img");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(64L << 30);
        }
        RecordingChannel channel = RecordingChannel.open(big, true);
        block = new VirtioBlock(DiskImage.open(big, channel, false), "big");
        driver = new MmioDriver(guest, block);
        driver.negotiateAll();
        q = driver.setupQueue(0, 16);
        driver.driverOk();
        long st = guest.alloc(1, 1);
        int zeroes = VirtioBlock.T_WRITE_ZEROES;
        int discard = VirtioBlock.T_DISCARD;
        int maxZeroes = VirtioBlock.MAX_WRITE_ZEROES_SECTORS;
        int maxDiscard = VirtioBlock.MAX_DISCARD_SECTORS;

        assertEquals(VirtioBlock.S_IOERR, status(ro(header(zeroes, 0), 16), segments(1, 0, 1 << 21), rw(st, 1)),
                "one segment of 1 GiB of zeroes");
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(zeroes, 0), 16), segments(1, 0, maxZeroes + 1), rw(st, 1)),
                "one sector over max_write_zeroes_sectors");
        assertEquals(VirtioBlock.S_UNSUPP, status(ro(header(zeroes, 0), 16),
                segments(VirtioBlock.MAX_WRITE_ZEROES_SEGMENTS + 1, 0, 1), rw(st, 1)), "one segment over max_write_zeroes_seg");
        assertEquals(VirtioBlock.S_UNSUPP, status(ro(header(zeroes, 0), 16), segments(32, 0, 1 << 21), rw(st, 1)),
                "32 segments of 1 GiB: 32 GiB of zeroes");
        assertEquals(VirtioBlock.S_IOERR, status(ro(header(discard, 0), 16), segments(1, 0, maxDiscard + 1), rw(st, 1)),
                "one sector over max_discard_sectors");
        assertEquals(VirtioBlock.S_UNSUPP, status(ro(header(discard, 0), 16),
                segments(VirtioBlock.MAX_DISCARD_SEGMENTS + 1, 0, 1), rw(st, 1)), "one segment over max_discard_seg");
        assertEquals(0, channel.transferred, "nothing was written for a refused request");
        assertFalse(driver.needsReset(), "a refused request is an answer, not a device error");

        assertEquals(VirtioBlock.S_OK, status(ro(header(zeroes, 0), 16),
                segments(VirtioBlock.MAX_WRITE_ZEROES_SEGMENTS, 8, maxZeroes), rw(st, 1)), "the most one request may ask");
        long most = (long) VirtioBlock.MAX_WRITE_ZEROES_SEGMENTS * maxZeroes * 512;
        assertEquals(most, channel.transferred, "written once, whole");
        assertTrue(channel.contiguous);
        assertEquals(VirtioBlock.S_OK, status(ro(header(discard, 0), 16),
                segments(VirtioBlock.MAX_DISCARD_SEGMENTS, 0, maxDiscard), rw(st, 1)), "the largest discard");
        assertEquals(most, channel.transferred, "a discard writes nothing");
    }
}
