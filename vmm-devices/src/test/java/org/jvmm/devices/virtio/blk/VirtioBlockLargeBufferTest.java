package org.jvmm.devices.virtio.blk;

import static org.jvmm.devices.virtio.DriverQueue.ro;
import static org.jvmm.devices.virtio.DriverQueue.rw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvmm.devices.disk.DiskImage;
import org.jvmm.devices.disk.RecordingChannel;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;

/**
 * A data descriptor may be up to 2^32 - 1 bytes long, and with 3 GiB of RAM or more one that long
 * fits in one region. A {@link ByteBuffer} holds at most 2^31 - 1 bytes: virtio-blk must move such
 * a buffer in pieces, not fail on the host (and again after every reset). The guest's RAM is
 * sparse ({@code MAP_NORESERVE}) and the image a sparse file behind a channel that counts the
 * bytes of each read and write without moving them, so gigabytes cost a few pages.
 */
class VirtioBlockLargeBufferTest {

    private static final long RAM = 5L << 30;
    private static final long DISK = 5L << 30;
    private static final long DATA = 1L << 28;

    @TempDir
    Path dir;

    private long header(TestGuest guest, int type, long sector) {
        ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, type).putLong(8, sector);
        return guest.put(h.array());
    }

    @Test
    void hugeDescriptorsAreReadAndWrittenWholeInPieces() throws IOException {
        Path path = dir.resolve("sparse.img");
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(DISK);
        }
        RecordingChannel channel = RecordingChannel.open(path, true);
        try (TestGuest guest = TestGuest.sparse(RAM);
                VirtioBlock block = new VirtioBlock(DiskImage.open(path, channel, false), "big")) {
            MmioDriver driver = new MmioDriver(guest, block);
            // Whole sectors: 2 GiB exactly, just over, and the most that fits a chain beside the
            // 16-byte header and the status byte (2^32 - 1 in all).
            long[] lengths = {0x8000_0000L, 0x8000_0200L, 0xFFFF_FE00L};
            for (int round = 0; round < 2; round++) {
                driver.negotiateAll(); // a reset first: the second round runs after one
                DriverQueue q = driver.setupQueue(0, 16);
                driver.driverOk();
                for (long length : lengths) {
                    for (int type : new int[] {VirtioBlock.T_IN, VirtioBlock.T_OUT}) {
                        String what = (type == VirtioBlock.T_IN ? "IN" : "OUT") + " of 0x" + Long.toHexString(length)
                                + ", round " + round;
                        long st = guest.alloc(1, 1);
                        guest.memory.writeByte(st, (byte) 0x55);
                        channel.transferred = 0;
                        channel.largestTransfer = 0;
                        channel.nextPosition = 3 * 512;
                        channel.contiguous = true;
                        long[] data = type == VirtioBlock.T_IN ? rw(DATA, length) : ro(DATA, length);
                        int head = q.add(ro(header(guest, type, 3), 16), data, rw(st, 1));
                        driver.notify(0);

                        assertFalse(driver.needsReset(), what + ": the device failed");
                        assertEquals(0, driver.transport.hostFaults(), what + ": a fault on the host");
                        assertEquals(VirtioBlock.S_OK, guest.memory.readByte(st), what);
                        int written = type == VirtioBlock.T_IN ? (int) (length + 1) : 1;
                        assertArrayEquals(new int[] {head, written}, q.takeUsed()[0], what + ": used length, unsigned");
                        assertEquals(length, channel.transferred, what + ": every byte once");
                        assertTrue(channel.contiguous, what + ": in order from sector 3");
                        assertTrue(channel.largestTransfer <= Integer.MAX_VALUE, what);
                    }
                }
            }
        }
    }
}
