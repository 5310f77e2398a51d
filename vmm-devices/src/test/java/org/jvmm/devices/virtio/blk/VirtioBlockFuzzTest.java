package org.jvmm.devices.virtio.blk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;

/**
 * Fuzzes virtio-blk request parsing with requests that are framed correctly (a readable 16-byte
 * header, possibly split, data buffers, a writable status byte, possibly sharing the last data
 * buffer) but carry any type, sector and lengths, against a small image opened read-write and
 * another opened read-only. Every request completes with OK, IOERR or UNSUPP, the device never
 * needs a reset, the used length fits the writable bytes, no image changes size, and the
 * read-only image never changes.
 */
class VirtioBlockFuzzTest {

    private static final int SECTORS = 32;
    /** A partial trailing sector, which is not part of the disk and must survive every request. */
    private static final int TAIL = 100;
    private static final int[] TYPES = {
        VirtioBlock.T_IN, VirtioBlock.T_OUT, VirtioBlock.T_FLUSH, VirtioBlock.T_GET_ID,
        VirtioBlock.T_DISCARD, VirtioBlock.T_WRITE_ZEROES,
    };

    private static final Path RW_PATH = image("rw");
    private static final Path RO_PATH = image("ro");
    private static final byte[] RO_CONTENT = read(RO_PATH);
    private static final byte[] RW_TAIL = tail(read(RW_PATH));
    private static final VirtioBlock RW = open(RW_PATH, false);
    private static final VirtioBlock RO = open(RO_PATH, true);

    @FuzzTest(maxDuration = "30s")
    void requests(FuzzedDataProvider data) throws IOException {
        boolean readOnly = data.consumeBoolean();
        VirtioBlock block = readOnly ? RO : RW;
        try (TestGuest guest = new TestGuest(1 << 18)) {
            MmioDriver driver = new MmioDriver(guest, block, false);
            driver.negotiateAll();
            DriverQueue q = driver.setupQueue(0, 16);
            driver.driverOk();

            int requests = data.consumeInt(1, 8);
            for (int r = 0; r < requests && data.remainingBytes() > 0; r++) {
                request(guest, driver, q, data, readOnly);
            }
        }
        assertEquals(SECTORS * 512L + TAIL, Files.size(RW_PATH), "read-write image changed size");
        assertArrayEquals(RW_TAIL, tail(read(RW_PATH)), "bytes past the last whole sector changed");
        assertArrayEquals(RO_CONTENT, read(RO_PATH), "read-only image changed");
    }

    private static void request(TestGuest guest, MmioDriver driver, DriverQueue q, FuzzedDataProvider data,
            boolean readOnly) {
        int type = data.consumeInt(0, 7) == 0 ? data.consumeInt() : TYPES[data.consumeInt(0, TYPES.length - 1)];
        long sector = switch (data.consumeInt(0, 3)) {
            case 0 -> data.consumeLong();
            case 1 -> SECTORS - data.consumeLong(-2, 4);
            default -> data.consumeLong(0, SECTORS + 1);
        };
        boolean toDevice = type != VirtioBlock.T_IN && type != VirtioBlock.T_GET_ID;

        List<long[]> buffers = new ArrayList<>();
        byte[] header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, type).putInt(4, data.consumeInt()).putLong(8, sector).array();
        int split = data.consumeInt(0, 15);
        if (split == 0) {
            buffers.add(DriverQueue.ro(guest.put(header), 16));
        } else {
            byte[] first = Arrays.copyOfRange(header, 0, split);
            byte[] second = Arrays.copyOfRange(header, split, 16);
            buffers.add(DriverQueue.ro(guest.put(first), split));
            buffers.add(DriverQueue.ro(guest.put(second), 16 - split));
        }
        int segments = data.consumeInt(0, 3);
        long writable = 0;
        for (int i = 0; i < segments; i++) {
            int length = data.consumeBoolean() ? data.consumeInt(1, 4) * 512 : data.consumeInt(1, 2048);
            long at = guest.alloc(length, 8);
            if (toDevice) {
                byte[] payload = data.consumeBytes(length);
                guest.memory.write(at, payload);
                buffers.add(DriverQueue.ro(at, length));
            } else {
                buffers.add(DriverQueue.rw(at, length));
                writable += length;
            }
        }
        long status;
        if (!toDevice && segments > 0 && data.consumeBoolean()) {
            // The status byte is the last byte of the last data buffer (any framing is allowed).
            long[] last = buffers.get(buffers.size() - 1);
            status = last[0] + last[1] - 1;
        } else {
            status = guest.alloc(1, 1);
            buffers.add(DriverQueue.rw(status, 1));
            writable += 1;
        }
        guest.memory.writeByte(status, (byte) 0x55);

        int before = q.usedIdx();
        q.add(buffers.toArray(long[][]::new));
        driver.notify(0);
        assertFalse(driver.needsReset(), "a well-framed request put the device in NEEDS_RESET");
        assertEquals((before + 1) & 0xFFFF, q.usedIdx(), "request not completed");
        int[][] used = q.takeUsed();
        int code = guest.memory.readByte(status);
        assertTrue(code == VirtioBlock.S_OK || code == VirtioBlock.S_IOERR || code == VirtioBlock.S_UNSUPP,
                "status " + code);
        assertTrue(Integer.toUnsignedLong(used[used.length - 1][1]) <= writable, "used length past the writable bytes");
        if (readOnly && (type == VirtioBlock.T_OUT || type == VirtioBlock.T_DISCARD || type == VirtioBlock.T_WRITE_ZEROES)) {
            assertTrue(code != VirtioBlock.S_OK, "write to a read-only image succeeded");
        }
        boolean known = false;
        for (int t : TYPES) {
            known |= t == type;
        }
        if (!known) {
            assertEquals(VirtioBlock.S_UNSUPP, code, "unknown request type " + type);
        }
    }

    private static Path image(String name) {
        try {
            Path path = Files.createTempFile("jvmm-fuzz-blk-" + name, ".img");
            path.toFile().deleteOnExit();
            byte[] content = new byte[SECTORS * 512 + TAIL];
            new Random(name.hashCode()).nextBytes(content);
            Files.write(path, content);
            return path;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] tail(byte[] content) {
        return Arrays.copyOfRange(content, content.length - TAIL, content.length);
    }

    private static VirtioBlock open(Path path, boolean readOnly) {
        try {
            return VirtioBlock.open(path, readOnly, "fuzz-" + readOnly);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
