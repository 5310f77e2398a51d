package org.jvmm.devices.ata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What {@link AtaPio} must do, written from its documented behaviour, for {@link AtaPioFuzzTest}:
 * the registers, the command outcomes and the data-port transfers. The image file is the truth for
 * sector contents (the device reads and writes it at once), so the model reads it rather than
 * keeping a copy. After a data-port access of a width other than 2 or 4 bytes the model no longer
 * knows how far the transfer got and stops checking until the next command starts a new one.
 */
final class AtaModel {

    private static final int READY = AtaPio.STATUS_DRDY | AtaPio.STATUS_DSC;
    private static final int IDLE = 0;
    private static final int IN = 1;
    private static final int OUT = 2;

    private final Path image;
    private final long sectors;
    private final boolean readOnly;

    private int count;
    private int lbaLow;
    private int features;
    /** SET FEATURES 02h/82h turn it on and off; IDENTIFY word 85 reports it. */
    private boolean writeCache = true;
    private int lbaMid;
    private int lbaHigh;
    private int device = 0xa0;
    private int status = READY;
    private int error;

    private boolean known; // false until the first command: the device keeps its state from the previous run
    private int mode = IDLE;
    private boolean identify;
    private final byte[] data = new byte[256 * 512];
    private int position;
    private int limit;
    private long transferLba;

    AtaModel(Path image, long sectors, boolean readOnly) {
        this.image = image;
        this.sectors = sectors;
        this.readOnly = readOnly;
    }

    void write(long offset, int size, long value) {
        int v = (int) value & 0xff;
        if (offset == AtaPio.DATA) {
            writeData(size, value);
            return;
        }
        switch ((int) Math.clamp(offset, -1, 8)) {
            case AtaPio.ERROR_FEATURES -> features = v;
            case AtaPio.SECTOR_COUNT -> count = v;
            case AtaPio.LBA_LOW -> lbaLow = v;
            case AtaPio.LBA_MID -> lbaMid = v;
            case AtaPio.LBA_HIGH -> lbaHigh = v;
            case AtaPio.DEVICE -> device = v | 0xa0;
            case AtaPio.STATUS_COMMAND -> command(v);
            default -> {
                // offsets outside the block: no effect
            }
        }
    }

    /** Checks a read's result and applies its side effects (only the data port has any). */
    void read(long offset, int size, long got) {
        if (offset != AtaPio.DATA) {
            long expected = switch ((int) Math.clamp(offset, -1, 8)) {
                case AtaPio.ERROR_FEATURES -> known ? error : -1;
                case AtaPio.SECTOR_COUNT -> count;
                case AtaPio.LBA_LOW -> lbaLow;
                case AtaPio.LBA_MID -> lbaMid;
                case AtaPio.LBA_HIGH -> lbaHigh;
                case AtaPio.DEVICE -> device;
                case AtaPio.STATUS_COMMAND -> known ? statusRead() : -1;
                default -> 0xff;
            };
            if (expected >= 0) {
                assertEquals(expected, got, "register read at offset " + offset);
            }
            return;
        }
        if (!known) {
            return;
        }
        if (size != 2 && size != 4) {
            known = false;
            return;
        }
        if (mode != IN) {
            assertEquals(0, got, "data port read with no transfer");
            return;
        }
        long expected = nextWord();
        if (size == 4 && mode == IN) {
            expected |= (long) nextWord() << 16;
        }
        assertEquals(expected, got, String.format("data port read of %d bytes at byte %d of a %s", size,
                position, identify ? "IDENTIFY" : "READ SECTORS of LBA " + transferLba));
    }

    private int nextWord() {
        int word = (data[position] & 0xff) | (data[position + 1] & 0xff) << 8;
        position += 2;
        if (position == limit) {
            mode = IDLE;
            status = READY;
        }
        return word;
    }

    private void writeData(int size, long value) {
        if (!known) {
            return;
        }
        if (size != 2 && size != 4) {
            known = false;
            return;
        }
        if (mode != OUT) {
            return;
        }
        for (int i = 0; i < size / 2 && mode == OUT; i++) {
            data[position] = (byte) (value >>> (16 * i));
            data[position + 1] = (byte) (value >>> (16 * i + 8));
            position += 2;
            if (position == limit) {
                mode = IDLE;
                status = READY;
                assertArrayEquals(java.util.Arrays.copyOf(data, limit), readImage(transferLba, limit),
                        "the image after WRITE SECTORS of " + limit / 512 + " at LBA " + transferLba);
            }
        }
    }

    private void command(int command) {
        if ((device & AtaPio.DEVICE_DEV1) != 0) {
            return; // no device 1: the command goes nowhere
        }
        known = true;
        mode = IDLE;
        identify = false;
        error = 0;
        status = READY;
        switch (command) {
            case AtaPio.CMD_READ_SECTORS, AtaPio.CMD_READ_SECTORS_NO_RETRY -> {
                if (servable()) {
                    start(IN, sectorCount() * 512);
                    System.arraycopy(readImage(lba(), limit), 0, data, 0, limit);
                }
            }
            case AtaPio.CMD_WRITE_SECTORS, AtaPio.CMD_WRITE_SECTORS_NO_RETRY -> {
                if (readOnly) {
                    abort();
                } else if (servable()) {
                    transferLba = lba();
                    start(OUT, sectorCount() * 512);
                }
            }
            case AtaPio.CMD_IDENTIFY -> {
                start(IN, 512);
                identify = true;
                System.arraycopy(identifyData(), 0, data, 0, 512);
            }
            case AtaPio.CMD_SET_FEATURES -> {
                if (features == AtaPio.FEATURE_ENABLE_WRITE_CACHE) {
                    writeCache = true;
                } else if (features == AtaPio.FEATURE_DISABLE_WRITE_CACHE) {
                    writeCache = false;
                }
            }
            case AtaPio.CMD_FLUSH_CACHE, AtaPio.CMD_FLUSH_CACHE_EXT, AtaPio.CMD_INITIALIZE_DEVICE_PARAMETERS -> {
                // succeed; nothing to transfer
            }
            default -> abort();
        }
    }

    /**
     * IDENTIFY data as far as the model pins it down: what the device returns, checked here for the
     * parts a driver relies on (the LBA28 sector count in words 60-61 and a valid checksum in word
     * 255), so the data-port comparison then follows the device.
     */
    private byte[] identifyData() {
        ByteBuffer id = AtaPio.identify(sectors, writeCache).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(Math.min(sectors, AtaPio.LBA28_SECTORS),
                Integer.toUnsignedLong(id.getShort(120) & 0xffff | (id.getShort(122) & 0xffff) << 16), "IDENTIFY words 60-61");
        int sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += id.get(i);
        }
        assertEquals(0xa5, id.get(510) & 0xff, "IDENTIFY word 255 signature");
        assertEquals(0, sum & 0xff, "IDENTIFY checksum");
        byte[] bytes = new byte[512];
        id.get(0, bytes);
        return bytes;
    }

    private boolean servable() {
        if ((device & AtaPio.DEVICE_LBA) == 0 || lba() + sectorCount() > sectors) {
            abort();
            return false;
        }
        return true;
    }

    private void start(int direction, int bytes) {
        mode = direction;
        position = 0;
        limit = bytes;
        status = READY | AtaPio.STATUS_DRQ;
    }

    private void abort() {
        status = READY | AtaPio.STATUS_ERR;
        error = AtaPio.ERROR_ABRT;
    }

    private long lba() {
        return ((long) (device & 0x0f) << 24) | (lbaHigh << 16) | (lbaMid << 8) | lbaLow;
    }

    private int sectorCount() {
        return count == 0 ? 256 : count;
    }

    private int statusRead() {
        return (device & AtaPio.DEVICE_DEV1) != 0 ? 0 : status;
    }

    /** Checks the status and error registers, read after an access, against the model. */
    void checkRegisters(long statusGot, long errorGot) {
        if (!known) {
            return;
        }
        assertEquals(statusRead(), statusGot, String.format("status register (expected 0x%02x, got 0x%02x)",
                statusRead(), statusGot));
        assertEquals(error, errorGot, "error register");
    }

    private byte[] readImage(long lba, int bytes) {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(bytes);
            while (buffer.hasRemaining() && channel.read(buffer, lba * 512 + buffer.position()) >= 0) {
                // until full
            }
            return buffer.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
