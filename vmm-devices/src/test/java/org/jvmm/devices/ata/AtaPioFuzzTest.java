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
 * block, whole commands and data-port bursts). Nothing throws, no image changes size, the
 * read-only image and the bytes past the last whole sector never change.
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
        AtaPio ata = data.consumeBoolean() ? RO : RW;
        // A fresh run starts with no transfer in progress: a device-0 IDENTIFY read to the end.
        ata.write(AtaPio.DEVICE, 1, 0xe0);
        ata.write(AtaPio.STATUS_COMMAND, 1, AtaPio.CMD_IDENTIFY);
        for (int i = 0; i < 256; i++) {
            ata.read(AtaPio.DATA, 2);
        }
        int ops = data.consumeInt(0, 64);
        for (int i = 0; i < ops && data.remainingBytes() > 0; i++) {
            switch (data.consumeInt(0, 5)) {
                case 0 -> ata.write(data.consumeInt(0, 7), 1, data.consumeInt(0, 255));
                case 1 -> ata.read(data.consumeInt(0, 7), 1);
                case 2 -> {
                    ata.write(AtaPio.SECTOR_COUNT, 1, data.consumeInt(0, 255));
                    ata.write(AtaPio.LBA_LOW, 1, data.consumeBoolean() ? data.consumeInt(0, SECTORS + 2) : data.consumeInt(0, 255));
                    ata.write(AtaPio.LBA_MID, 1, data.consumeBoolean() ? 0 : data.consumeInt(0, 255));
                    ata.write(AtaPio.LBA_HIGH, 1, data.consumeBoolean() ? 0 : data.consumeInt(0, 255));
                    ata.write(AtaPio.DEVICE, 1, data.consumeBoolean() ? 0xe0 : data.consumeInt(0, 255));
                    int command = data.consumeBoolean() ? data.consumeInt(0, 255) : COMMANDS[data.consumeInt(0, COMMANDS.length - 1)];
                    ata.write(AtaPio.STATUS_COMMAND, 1, command);
                }
                case 3 -> {
                    int words = data.consumeInt(0, 600);
                    int size = new int[] {1, 2, 4}[data.consumeInt(0, 2)];
                    long value = data.consumeLong();
                    boolean write = data.consumeBoolean();
                    for (int w = 0; w < words; w++) {
                        if (write) {
                            ata.write(AtaPio.DATA, size, value + w);
                        } else {
                            ata.read(AtaPio.DATA, size);
                        }
                    }
                }
                default -> {
                    long offset = data.consumeBoolean() ? data.consumeLong() : data.consumeLong(-2, 10);
                    int size = data.consumeBoolean() ? data.consumeInt() : data.consumeInt(0, 9);
                    if (data.consumeBoolean()) {
                        ata.write(offset, size, data.consumeLong());
                    } else {
                        ata.read(offset, size);
                    }
                }
            }
        }
        assertEquals(SECTORS * 512L + TAIL, Files.size(RW_PATH), "read-write image changed size");
        assertArrayEquals(RW_TAIL, tail(read(RW_PATH)), "bytes past the last whole sector changed");
        assertArrayEquals(RO_CONTENT, read(RO_PATH), "read-only image changed");
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
