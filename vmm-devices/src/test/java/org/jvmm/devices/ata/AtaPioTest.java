package org.jvmm.devices.ata;

import static org.jvmm.devices.ata.AtaPio.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.jvmm.core.bus.Bus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ATA-PIO disk through a port bus, driven the way a polling guest driver does. */
class AtaPioTest {
    private static final int SECTORS = 300;

    @TempDir
    Path dir;

    private AtaPio ata;
    private Bus bus;
    private byte[] original;

    private Path image(boolean fill) throws IOException {
        Path path = dir.resolve("disk.img");
        original = new byte[SECTORS * 512];
        if (fill) {
            new Random(11).nextBytes(original);
        }
        Files.write(path, original);
        return path;
    }

    private void attach(Path path, boolean readOnly) throws IOException {
        ata = AtaPio.open(path, readOnly);
        bus = new Bus("pio");
        bus.register("ata", AtaPio.RANGE, ata);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (ata != null) {
            ata.close();
        }
    }

    private int status() {
        return (int) bus.read(0x1f7, 1);
    }

    private void issue(int command, long lba, int count) {
        bus.write(0x1f2, 1, count);
        bus.write(0x1f3, 1, lba & 0xff);
        bus.write(0x1f4, 1, (lba >>> 8) & 0xff);
        bus.write(0x1f5, 1, (lba >>> 16) & 0xff);
        bus.write(0x1f6, 1, 0xe0 | ((lba >>> 24) & 0x0f));
        bus.write(0x1f7, 1, command);
    }

    /** What a driver's {@code rep insw} of one transfer does: 256 word reads per sector. */
    private byte[] readWords(int sectors) {
        byte[] data = new byte[sectors * 512];
        for (int i = 0; i < data.length; i += 2) {
            assertEquals(STATUS_DRQ, status() & (STATUS_DRQ | STATUS_BSY), "DRQ while words remain");
            int word = (int) bus.read(0x1f0, 2);
            data[i] = (byte) word;
            data[i + 1] = (byte) (word >>> 8);
        }
        return data;
    }

    private void writeWords(byte[] data) {
        for (int i = 0; i < data.length; i += 2) {
            assertEquals(STATUS_DRQ, status() & STATUS_DRQ);
            bus.write(0x1f0, 2, (data[i] & 0xff) | (data[i + 1] & 0xff) << 8);
        }
    }

    private byte[] slice(int sector, int count) {
        byte[] out = new byte[count * 512];
        System.arraycopy(original, sector * 512, out, 0, out.length);
        return out;
    }

    @Test
    void idleStatusIsReadyWithoutDrq() throws IOException {
        attach(image(true), false);
        assertEquals(STATUS_DRDY | STATUS_DSC, status());
        assertEquals(0, bus.read(0x1f1, 1));
    }

    @Test
    void readSectorsReturnsTheImageBytes() throws IOException {
        attach(image(true), false);
        issue(CMD_READ_SECTORS, 5, 3);
        assertArrayEquals(slice(5, 3), readWords(3));
        assertEquals(STATUS_DRDY | STATUS_DSC, status(), "DRQ falls after the last word");
        issue(CMD_READ_SECTORS, SECTORS - 1, 1);
        assertArrayEquals(slice(SECTORS - 1, 1), readWords(1), "the last sector is readable");
    }

    @Test
    void sectorCountZeroMeans256() throws IOException {
        attach(image(true), false);
        issue(CMD_READ_SECTORS, 10, 0);
        assertArrayEquals(slice(10, 256), readWords(256));
        assertEquals(0, status() & STATUS_DRQ);
    }

    @Test
    void thirtyTwoBitDataAccessesMoveTwoWords() throws IOException {
        attach(image(true), false);
        issue(CMD_READ_SECTORS, 7, 1);
        byte[] data = new byte[512];
        for (int i = 0; i < 512; i += 4) {
            int dword = (int) bus.read(0x1f0, 4);
            for (int b = 0; b < 4; b++) {
                data[i + b] = (byte) (dword >>> (8 * b));
            }
        }
        assertArrayEquals(slice(7, 1), data);
        assertEquals(0, status() & STATUS_DRQ);

        byte[] fresh = new byte[512];
        new Random(5).nextBytes(fresh);
        issue(CMD_WRITE_SECTORS, 8, 1);
        for (int i = 0; i < 512; i += 4) {
            long dword = (fresh[i] & 0xffL) | (fresh[i + 1] & 0xffL) << 8 | (fresh[i + 2] & 0xffL) << 16
                    | (fresh[i + 3] & 0xffL) << 24;
            bus.write(0x1f0, 4, dword);
        }
        issue(CMD_READ_SECTORS, 8, 1);
        assertArrayEquals(fresh, readWords(1));
    }

    @Test
    void writeSectorsReachTheFileOnlyInsideTheRange() throws IOException {
        Path path = image(true);
        attach(path, false);
        byte[] fresh = new byte[2 * 512];
        new Random(9).nextBytes(fresh);
        issue(CMD_WRITE_SECTORS, 100, 2);
        assertEquals(STATUS_DRQ, status() & STATUS_DRQ, "DRQ: send the data");
        writeWords(fresh);
        assertEquals(STATUS_DRDY | STATUS_DSC, status());
        issue(CMD_FLUSH_CACHE, 0, 0);
        assertEquals(STATUS_DRDY | STATUS_DSC, status());

        byte[] file = Files.readAllBytes(path);
        assertEquals(original.length, file.length, "the image is never grown or truncated");
        byte[] expected = original.clone();
        System.arraycopy(fresh, 0, expected, 100 * 512, fresh.length);
        assertArrayEquals(expected, file);
    }

    @Test
    void aWriteLongerThanTheReadBeforeItTakesAllItsData() throws IOException {
        // Found by AtaPioFuzzTest: the transfer buffer kept the shorter read's limit, and the
        // write's word at byte 512 threw IndexOutOfBoundsException on the vCPU thread.
        Path path = image(true);
        attach(path, false);
        issue(CMD_READ_SECTORS, 1, 1);
        assertArrayEquals(slice(1, 1), readWords(1));
        byte[] fresh = new byte[3 * 512];
        new Random(13).nextBytes(fresh);
        issue(CMD_WRITE_SECTORS, 20, 3);
        writeWords(fresh);
        assertEquals(STATUS_DRDY | STATUS_DSC, status(), "no error: the whole write was taken");
        byte[] expected = original.clone();
        System.arraycopy(fresh, 0, expected, 20 * 512, fresh.length);
        assertArrayEquals(expected, Files.readAllBytes(path));
    }

    @Test
    void aNewCommandAbandonsAPartialWrite() throws IOException {
        Path path = image(true);
        attach(path, false);
        issue(CMD_WRITE_SECTORS, 3, 1);
        writeWords(new byte[100]);
        issue(CMD_READ_SECTORS, 3, 1);
        assertArrayEquals(slice(3, 1), readWords(1));
        assertArrayEquals(original, Files.readAllBytes(path));
    }

    @Test
    void identifyReportsSizeModelAndChecksum() throws IOException {
        attach(image(false), false);
        issue(CMD_IDENTIFY, 0, 0);
        byte[] id = readWords(1);
        int[] words = new int[256];
        for (int i = 0; i < 256; i++) {
            words[i] = (id[2 * i] & 0xff) | (id[2 * i + 1] & 0xff) << 8;
        }
        assertEquals(SECTORS, words[60] | words[61] << 16, "LBA28 sectors in words 60-61");
        assertEquals(0x0200, words[49] & 0x0200, "LBA supported");
        StringBuilder model = new StringBuilder();
        for (int w = 27; w <= 46; w++) {
            model.append((char) (words[w] >>> 8)).append((char) (words[w] & 0xff));
        }
        assertEquals(MODEL, model.toString().trim());
        assertEquals(0xa5, words[255] & 0xff, "checksum signature");
        int sum = 0;
        for (byte b : id) {
            sum += b & 0xff;
        }
        assertEquals(0, sum & 0xff, "bytes sum to 0 mod 256");
        assertEquals(0, status() & STATUS_DRQ);
    }

    @Test
    void identifyCapsTheCountAtLba28() {
        var id = AtaPio.identify(1L << 40);
        int count = (id.getShort(120) & 0xffff) | (id.getShort(122) & 0xffff) << 16;
        assertEquals(0x0fffffff, count);
        assertEquals("jvmm", new String(new byte[] {id.get(55), id.get(54), id.get(57), id.get(56)},
                StandardCharsets.US_ASCII), "two characters per word, first in the high byte");
    }

    @Test
    void requestsPastTheEndAbort() throws IOException {
        Path path = image(true);
        attach(path, false);
        issue(CMD_READ_SECTORS, SECTORS, 1);
        assertEquals(STATUS_DRDY | STATUS_DSC | STATUS_ERR, status());
        assertEquals(ERROR_ABRT, bus.read(0x1f1, 1));
        issue(CMD_READ_SECTORS, SECTORS - 2, 3);
        assertEquals(STATUS_ERR, status() & (STATUS_ERR | STATUS_DRQ), "a range crossing the end aborts");
        issue(CMD_WRITE_SECTORS, SECTORS - 1, 0);
        assertEquals(STATUS_ERR, status() & (STATUS_ERR | STATUS_DRQ));
        issue(CMD_READ_SECTORS, 0x0fffffff, 1);
        assertEquals(STATUS_ERR, status() & STATUS_ERR);
        assertEquals(0, bus.read(0x1f0, 2), "no data after an abort");

        issue(CMD_READ_SECTORS, 0, 1);
        assertEquals(0, status() & STATUS_ERR, "a good command clears ERR");
        assertEquals(0, bus.read(0x1f1, 1));
        assertEquals(original.length, Files.size(path));
    }

    @Test
    void readOnlyImagesRefuseWritesButReadAndFlush() throws IOException {
        Path path = image(true);
        attach(path, true);
        issue(CMD_WRITE_SECTORS, 0, 1);
        assertEquals(STATUS_DRDY | STATUS_DSC | STATUS_ERR, status());
        assertEquals(ERROR_ABRT, bus.read(0x1f1, 1));
        bus.write(0x1f0, 2, 0x4141);
        issue(CMD_FLUSH_CACHE, 0, 0);
        assertEquals(STATUS_DRDY | STATUS_DSC, status());
        issue(CMD_READ_SECTORS, 0, 1);
        assertArrayEquals(slice(0, 1), readWords(1));
        assertArrayEquals(original, Files.readAllBytes(path));
    }

    @Test
    void unsupportedCommandsAndChsAbort() throws IOException {
        attach(image(true), false);
        bus.write(0x1f7, 1, 0x24); // READ SECTORS EXT: no LBA48
        assertEquals(STATUS_ERR, status() & STATUS_ERR);
        assertEquals(ERROR_ABRT, bus.read(0x1f1, 1));
        bus.write(0x1f2, 1, 1);
        bus.write(0x1f6, 1, 0xa0); // CHS
        bus.write(0x1f7, 1, CMD_READ_SECTORS);
        assertEquals(STATUS_ERR, status() & (STATUS_ERR | STATUS_DRQ));
        bus.write(0x1f7, 1, CMD_SET_FEATURES);
        assertEquals(STATUS_DRDY | STATUS_DSC, status());
    }

    @Test
    void device1IsAbsent() throws IOException {
        attach(image(true), false);
        bus.write(0x1f6, 1, 0xf0);
        assertEquals(0, status(), "no device 1");
        bus.write(0x1f7, 1, CMD_IDENTIFY);
        bus.write(0x1f6, 1, 0xe0);
        assertEquals(STATUS_DRDY | STATUS_DSC, status(), "the command went to device 1 and nowhere");
    }

    @Test
    void anyAccessAtAnyOffsetIsHarmless() throws IOException {
        Path path = image(true);
        attach(path, false);
        long[] offsets = {-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, Long.MAX_VALUE, Long.MIN_VALUE};
        int[] sizes = {1, 2, 4, 8, 0, 3, -1};
        for (long offset : offsets) {
            for (int size : sizes) {
                for (int value = 0; value < 256; value++) {
                    if (offset == STATUS_COMMAND && (value == CMD_WRITE_SECTORS || value == CMD_WRITE_SECTORS_NO_RETRY)) {
                        continue; // a write would then take the data of the accesses below
                    }
                    ata.write(offset, size, value);
                    ata.read(offset, size);
                }
            }
        }
        assertArrayEquals(original, Files.readAllBytes(path), "no stray write reached the image");
        issue(CMD_READ_SECTORS, 1, 1);
        assertArrayEquals(slice(1, 1), readWords(1), "the device still works");
    }

    @Test
    void flushCacheForcesTheImageAndWritesAloneDoNot() throws Exception {
        Path path = image(true);
        attach(path, false);
        byte[] fresh = new byte[512];
        new Random(5).nextBytes(fresh);
        assertEquals(0, org.jvmm.devices.disk.ForceEvents.count(path, () -> {
            issue(CMD_WRITE_SECTORS, 7, 1);
            writeWords(fresh);
        }), "WRITE SECTORS completes into the page cache (a volatile write cache)");
        for (int command : new int[] {CMD_FLUSH_CACHE, CMD_FLUSH_CACHE_EXT}) {
            assertEquals(1, org.jvmm.devices.disk.ForceEvents.count(path, () -> issue(command, 0, 0)),
                    "FLUSH CACHE 0x" + Integer.toHexString(command) + " forces the image once");
            assertEquals(STATUS_DRDY | STATUS_DSC, status());
        }
    }
}
