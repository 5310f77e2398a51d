package org.jvmm.devices.ata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Fuzzes the ATA-PIO register file over a small image opened read-write and another opened
 * read-only: any sequence of port reads and writes of any width (biased towards the command
 * block, whole commands and data-port bursts), checked against {@link AtaModel}, a model of what
 * the status and error registers must say after each access and what the data port must move.
 *
 * <p>The device turns a host exception while reading or writing the image into DF + ERR, so
 * "nothing threw" would let such a bug pass: here, on healthy images, every status read must be
 * exactly the model's (never BSY, never DF; DRQ exactly while a transfer runs; ERR with ABRT in the
 * error register exactly for the commands a disk must refuse), every word read is the image's
 * (READ SECTORS) or valid IDENTIFY data, a completed WRITE SECTORS leaves exactly the words written
 * in the image, no image changes size, and the read-only image and the bytes past the last whole
 * sector never change. Data-port accesses of widths other than 2 and 4 bytes are made too, but
 * after one the model stops predicting until the next command.
 */
class AtaPioFuzzTest {

    private static final int SECTORS = 40;
    private static final int TAIL = 100;
    private static final int[] COMMANDS = {0x20, 0x21, 0x30, 0x31, 0x91, 0xe7, 0xea, 0xec, 0xef};

    private static final Path RW_PATH = image("rw");
    private static final Path RO_PATH = image("ro");
    private static final byte[] RO_CONTENT = read(RO_PATH);
    private static final byte[] RW_TAIL = tail(read(RW_PATH));
    private static final AtaPio RW = open(RW_PATH, false);
    private static final AtaPio RO = open(RO_PATH, true);

    @FuzzTest(maxDuration = "30s")
    void ports(FuzzedDataProvider data) throws IOException {
        boolean readOnly = data.consumeBoolean();
        AtaPio ata = readOnly ? RO : RW;
        AtaModel model = new AtaModel(readOnly ? RO_PATH : RW_PATH, SECTORS, readOnly);
        // A fresh run starts from known registers and no transfer: device 0, the write cache on (the
        // device is shared by all runs, and a run before may have turned it off, which IDENTIFY word
        // 85 tells), LBA 0, one sector, then an IDENTIFY read to its end.
        for (int[] w : new int[][] {{AtaPio.DEVICE, 0xe0}, {AtaPio.ERROR_FEATURES, AtaPio.FEATURE_ENABLE_WRITE_CACHE},
                {AtaPio.STATUS_COMMAND, AtaPio.CMD_SET_FEATURES}, {AtaPio.SECTOR_COUNT, 1}, {AtaPio.LBA_LOW, 0},
                {AtaPio.LBA_MID, 0}, {AtaPio.LBA_HIGH, 0}, {AtaPio.STATUS_COMMAND, AtaPio.CMD_IDENTIFY}}) {
            access(ata, model, true, w[0], 1, w[1]);
        }
        // The input is consumed in the order the committed seeds (AtaPioFuzzTestInputs) were made with.
        for (int i = 0; i < 256; i++) {
            access(ata, model, false, AtaPio.DATA, 2, 0);
        }
        int ops = data.consumeInt(0, 64);
        for (int i = 0; i < ops && data.remainingBytes() > 0; i++) {
            switch (data.consumeInt(0, 5)) {
                case 0 -> access(ata, model, true, data.consumeInt(0, 7), 1, data.consumeInt(0, 255));
                case 1 -> access(ata, model, false, data.consumeInt(0, 7), 1, 0);
                case 2 -> {
                    access(ata, model, true, AtaPio.SECTOR_COUNT, 1, data.consumeInt(0, 255));
                    access(ata, model, true, AtaPio.LBA_LOW, 1,
                            data.consumeBoolean() ? data.consumeInt(0, SECTORS + 2) : data.consumeInt(0, 255));
                    access(ata, model, true, AtaPio.LBA_MID, 1, data.consumeBoolean() ? 0 : data.consumeInt(0, 255));
                    access(ata, model, true, AtaPio.LBA_HIGH, 1, data.consumeBoolean() ? 0 : data.consumeInt(0, 255));
                    access(ata, model, true, AtaPio.DEVICE, 1, data.consumeBoolean() ? 0xe0 : data.consumeInt(0, 255));
                    int command = data.consumeBoolean() ? data.consumeInt(0, 255) : COMMANDS[data.consumeInt(0, COMMANDS.length - 1)];
                    access(ata, model, true, AtaPio.STATUS_COMMAND, 1, command);
                }
                case 3 -> {
                    int accesses = data.consumeInt(0, 600);
                    int size = new int[] {1, 2, 4}[data.consumeInt(0, 2)];
                    long value = data.consumeLong();
                    boolean write = data.consumeBoolean();
                    for (int w = 0; w < accesses; w++) {
                        access(ata, model, write, AtaPio.DATA, size, value + w);
                    }
                }
                default -> {
                    long offset = data.consumeBoolean() ? data.consumeLong() : data.consumeLong(-2, 10);
                    int size = data.consumeBoolean() ? data.consumeInt() : data.consumeInt(0, 9);
                    access(ata, model, data.consumeBoolean(), offset, size, data.consumeLong());
                }
            }
        }
        assertEquals(SECTORS * 512L + TAIL, Files.size(RW_PATH), "read-write image changed size");
        assertArrayEquals(RW_TAIL, tail(read(RW_PATH)), "bytes past the last whole sector changed");
        assertArrayEquals(RO_CONTENT, read(RO_PATH), "read-only image changed");
    }

    /** One port access on the device and the model, then the status and error registers checked. */
    private static void access(AtaPio ata, AtaModel model, boolean write, long offset, int size, long value) {
        if (write) {
            ata.write(offset, size, value);
            model.write(offset, size, value);
        } else {
            long got = ata.read(offset, size);
            model.read(offset, size, got);
        }
        model.checkRegisters(ata.read(AtaPio.STATUS_COMMAND, 1), ata.read(AtaPio.ERROR_FEATURES, 1));
    }

    private static Path image(String name) {
        try {
            Path path = Files.createTempFile("jvmm-fuzz-ata-" + name, ".img");
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

    private static AtaPio open(Path path, boolean readOnly) {
        try {
            return AtaPio.open(path, readOnly);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
