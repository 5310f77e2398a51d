package org.jvmm.devices.ata;

import org.jvmm.devices.disk.DiskImage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import org.jvmm.core.bus.BusDevice;

/**
 * An ATA-PIO-like disk on the primary channel's command block, ports 0x1f0-0x1f7: one drive
 * (device 0), LBA28 addressing, polled, no interrupt and no control block (0x3f6).
 *
 * <h2>Commands</h2>
 * READ SECTORS (0x20, 0x21), WRITE SECTORS (0x30, 0x31), FLUSH CACHE (0xe7, 0xea),
 * IDENTIFY DEVICE (0xec; the LBA28 sector count in words 60-61), SET FEATURES (0xef) and
 * INITIALIZE DEVICE PARAMETERS (0x91), which succeeds and changes nothing. A sector count of 0 means
 * 256. Every other command, CHS addressing (device register bit 6 clear), a range past the end of
 * the disk and a write to a read-only image end with ERR in the status and ABRT in the error
 * register; a host I/O failure adds DF.
 *
 * <h2>The write cache</h2>
 * A completed WRITE SECTORS is in the host's page cache, not yet on the disk: a volatile write
 * cache, and IDENTIFY says so (word 82 bit 5 supported, word 85 bit 5 enabled, words 83 and 86 bit
 * 12 FLUSH CACHE). FLUSH CACHE returns once the image is on stable storage
 * ({@link DiskImage#flush}, an {@code fsync}). SET FEATURES 82h disables the cache: from then on
 * every write is forced before it completes, and word 85 bit 5 reads clear; 02h enables it again.
 * Other SET FEATURES subcommands (a transfer mode, say) succeed and change nothing.
 *
 * <h2>Timing</h2>
 * A command completes while the guest's command write is still in the exit: BSY is never seen.
 * A read fetches all its sectors at once and raises DRQ; a write raises DRQ, takes the data and
 * writes it to the image once the last byte arrives. DRQ falls after the last byte. A new command
 * abandons a transfer in progress.
 *
 * <h2>The data port</h2>
 * The data register moves one byte stream, little-endian, whatever the access width: a 16-bit
 * access (the ATA default, a guest's {@code rep insw}) moves two bytes, a 32-bit one four, and an
 * 8-bit one exactly one, so a guest that mixes widths or reads with {@code insb} gets every byte
 * once, in order. (ATA defines 8-bit data transfers only after SET FEATURES 01h, a CFA feature;
 * QEMU answers an 8-bit access of the data port with 0xff and moves nothing. Moving one byte loses
 * and repeats nothing, whichever the guest meant.) An access wider than what is left of the
 * transfer takes the rest and reads zeroes for the missing bytes; outside a transfer the data
 * port reads 0 and ignores writes.
 *
 * <p>With device 1 selected (device register bit 4), the status reads 0 (no device) and commands are
 * ignored. Data port accesses take the device lock and allocate nothing.
 */
public final class AtaPio implements BusDevice, AutoCloseable {

    /** Ports of the command block (0x1f0-0x1f7 on a PC's primary channel; where is the machine's choice). */
    public static final int PORTS = 8;

    /** Offset of the 16-bit data port. */
    public static final int DATA = 0;
    /** Offset of the error register (read) and features register (write). */
    public static final int ERROR_FEATURES = 1;
    /** Offset of the sector count register. */
    public static final int SECTOR_COUNT = 2;
    /** Offset of LBA bits 7:0. */
    public static final int LBA_LOW = 3;
    /** Offset of LBA bits 15:8. */
    public static final int LBA_MID = 4;
    /** Offset of LBA bits 23:16. */
    public static final int LBA_HIGH = 5;
    /** Offset of the device register: LBA bits 27:24 in bits 3:0, device select in bit 4, LBA mode in bit 6. */
    public static final int DEVICE = 6;
    /** Offset of the status register (read) and command register (write). */
    public static final int STATUS_COMMAND = 7;

    /** Status: busy. */
    public static final int STATUS_BSY = 0x80;
    /** Status: device ready. */
    public static final int STATUS_DRDY = 0x40;
    /** Status: device fault. */
    public static final int STATUS_DF = 0x20;
    /** Status: seek complete (obsolete, set as drives do). */
    public static final int STATUS_DSC = 0x10;
    /** Status: data request, the data port has words to move. */
    public static final int STATUS_DRQ = 0x08;
    /** Status: error, see the error register. */
    public static final int STATUS_ERR = 0x01;
    /** Error register: command aborted. */
    public static final int ERROR_ABRT = 0x04;

    /** Device register: LBA addressing. */
    public static final int DEVICE_LBA = 0x40;
    /** Device register: device 1 selected. */
    public static final int DEVICE_DEV1 = 0x10;

    /** READ SECTORS. */
    public static final int CMD_READ_SECTORS = 0x20;
    /** READ SECTORS without retries (the same here). */
    public static final int CMD_READ_SECTORS_NO_RETRY = 0x21;
    /** WRITE SECTORS. */
    public static final int CMD_WRITE_SECTORS = 0x30;
    /** WRITE SECTORS without retries (the same here). */
    public static final int CMD_WRITE_SECTORS_NO_RETRY = 0x31;
    /** INITIALIZE DEVICE PARAMETERS (a no-op). */
    public static final int CMD_INITIALIZE_DEVICE_PARAMETERS = 0x91;
    /** FLUSH CACHE. */
    public static final int CMD_FLUSH_CACHE = 0xe7;
    /** FLUSH CACHE EXT (the same here). */
    public static final int CMD_FLUSH_CACHE_EXT = 0xea;
    /** IDENTIFY DEVICE. */
    public static final int CMD_IDENTIFY = 0xec;
    /** SET FEATURES: the subcommand is in the features register. */
    public static final int CMD_SET_FEATURES = 0xef;
    /** SET FEATURES subcommand: enable the write cache. */
    public static final int FEATURE_ENABLE_WRITE_CACHE = 0x02;
    /** SET FEATURES subcommand: disable the write cache (every write is forced before it completes). */
    public static final int FEATURE_DISABLE_WRITE_CACHE = 0x82;

    /** The model string in IDENTIFY data. */
    public static final String MODEL = "jvmm ATA-PIO disk";
    /** The largest sector count LBA28 addresses, and words 60-61's cap. */
    public static final long LBA28_SECTORS = 0x0fff_ffffL;

    private static final int SECTOR = DiskImage.SECTOR_SIZE;
    private static final int MAX_SECTORS = 256;
    private static final int READY = STATUS_DRDY | STATUS_DSC;

    private static final int IDLE = 0;
    private static final int PIO_IN = 1;
    private static final int PIO_OUT = 2;

    private final DiskImage image;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_SECTORS * SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    /** IDENTIFY data with the write cache enabled and disabled (word 85 and the checksum differ). */
    private final ByteBuffer identifyCacheOn;
    private final ByteBuffer identifyCacheOff;

    private int count;
    private int lbaLow;
    private int lbaMid;
    private int lbaHigh;
    private int device = 0xa0;
    private int status = READY;
    private int error;
    private int features;
    private boolean writeCache = true;

    private int transfer = IDLE;
    private int position;
    private int limit;
    private long transferLba;

    /**
     * Creates the device over an open image, which it then owns: {@link #close()} closes it.
     *
     * @param image the disk
     */
    public AtaPio(DiskImage image) {
        this.image = Objects.requireNonNull(image, "image");
        this.identifyCacheOn = identify(image.sectors(), true).asReadOnlyBuffer();
        this.identifyCacheOff = identify(image.sectors(), false).asReadOnlyBuffer();
    }

    /**
     * Opens an image (locked, see {@link DiskImage#open}) and creates the device over it.
     *
     * @param path     the raw image
     * @param readOnly refuse guest writes
     * @return the device
     * @throws IOException if the image cannot be opened or is in use
     */
    public static AtaPio open(Path path, boolean readOnly) throws IOException {
        return new AtaPio(DiskImage.open(path, readOnly));
    }

    /** {@return the disk behind the device} */
    public DiskImage image() {
        return image;
    }

    /**
     * The 512 bytes IDENTIFY DEVICE returns for a disk of {@code sectors} sectors.
     *
     * @param sectors    the disk size
     * @param writeCache whether the write cache is enabled (word 85 bit 5)
     * @return the data, little-endian words, with a valid checksum in word 255
     */
    static ByteBuffer identify(long sectors, boolean writeCache) {
        ByteBuffer id = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
        long lba28 = Math.min(sectors, LBA28_SECTORS);
        word(id, 0, 0x0040); // ATA device, fixed
        word(id, 1, (int) Math.min(lba28 / (16 * 63), 16383)); // legacy geometry: cylinders
        word(id, 3, 16); // heads
        word(id, 6, 63); // sectors per track
        string(id, 10, 20, "JVMM0001");
        string(id, 23, 8, "0.1");
        string(id, 27, 40, MODEL);
        word(id, 47, 0x8000); // READ/WRITE MULTIPLE: not supported
        word(id, 49, 0x0200); // LBA supported, no DMA
        word(id, 50, 0x4000);
        word(id, 60, (int) (lba28 & 0xffff));
        word(id, 61, (int) (lba28 >>> 16));
        word(id, 80, 0x007e); // ATA-1 to ATA-6
        word(id, 82, 0x0020); // write cache supported
        word(id, 83, 0x4000 | 0x1000); // word valid; FLUSH CACHE supported
        word(id, 84, 0x4000);
        word(id, 85, writeCache ? 0x0020 : 0); // write cache enabled
        word(id, 86, 0x1000); // FLUSH CACHE enabled
        word(id, 87, 0x4000);
        int sum = 0xa5;
        for (int i = 0; i < SECTOR - 2; i++) {
            sum += id.get(i);
        }
        word(id, 255, (((-sum) & 0xff) << 8) | 0xa5);
        return id;
    }

    private static void word(ByteBuffer id, int index, int value) {
        id.putShort(index * 2, (short) value);
    }

    /** ATA strings hold two characters per word, the first in the high byte; space padded. */
    private static void string(ByteBuffer id, int firstWord, int length, String text) {
        byte[] ascii = String.format("%-" + length + "s", text).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < length; i += 2) {
            word(id, firstWord + i / 2, (ascii[i] << 8) | ascii[i + 1]);
        }
    }

    // ---- the bus side ----

    @Override
    public synchronized long read(long offset, int size) {
        if (offset == DATA) {
            return readData(size);
        }
        boolean dev1 = (device & DEVICE_DEV1) != 0;
        return switch (Math.clamp(offset, -1, 8)) {
            case ERROR_FEATURES -> error;
            case SECTOR_COUNT -> count;
            case LBA_LOW -> lbaLow;
            case LBA_MID -> lbaMid;
            case LBA_HIGH -> lbaHigh;
            case DEVICE -> device;
            case STATUS_COMMAND -> dev1 ? 0 : status;
            default -> 0xff;
        };
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int v = (int) value & 0xff;
        switch (Math.clamp(offset, -1, 8)) {
            case DATA -> writeData(size, value);
            case ERROR_FEATURES -> features = v;
            case SECTOR_COUNT -> count = v;
            case LBA_LOW -> lbaLow = v;
            case LBA_MID -> lbaMid = v;
            case LBA_HIGH -> lbaHigh = v;
            case DEVICE -> device = v | 0xa0;
            case STATUS_COMMAND -> command(v);
            default -> {
                // Offsets outside the command block.
            }
        }
    }

    /** Bytes an access of {@code size} moves through the data port: 1, 2, 4 or 8. */
    private static int width(int size) {
        return size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1;
    }

    private long readData(int size) {
        if (transfer != PIO_IN) {
            guestError("data port read with no data ready");
            return 0;
        }
        if (size == 2 && limit - position >= 2) {
            // The common case, a guest's rep insw: one word.
            int word = buffer.getShort(position) & 0xffff;
            advance(2);
            return word;
        }
        int bytes = width(size);
        long value = 0;
        for (int i = 0; i < bytes && transfer == PIO_IN; i++) {
            value |= (buffer.get(position) & 0xffL) << (8 * i);
            advance(1);
        }
        return value;
    }

    private void advance(int bytes) {
        position += bytes;
        if (position == limit) {
            endTransfer();
        }
    }

    private void writeData(int size, long value) {
        if (transfer != PIO_OUT) {
            guestError("data port write with no data expected");
            return;
        }
        int bytes = width(size);
        for (int i = 0; i < bytes && transfer == PIO_OUT; i++) {
            buffer.put(position++, (byte) (value >>> (8 * i)));
            if (position == limit) {
                commitWrite();
            }
        }
    }

    private void endTransfer() {
        transfer = IDLE;
        status = READY;
    }

    // ---- commands ----

    private void command(int command) {
        if ((device & DEVICE_DEV1) != 0) {
            return;
        }
        transfer = IDLE;
        error = 0;
        status = READY;
        switch (command) {
            case CMD_READ_SECTORS, CMD_READ_SECTORS_NO_RETRY -> startRead();
            case CMD_WRITE_SECTORS, CMD_WRITE_SECTORS_NO_RETRY -> startWrite();
            case CMD_FLUSH_CACHE, CMD_FLUSH_CACHE_EXT -> flushCache();
            case CMD_IDENTIFY -> {
                buffer.clear();
                buffer.put(0, writeCache ? identifyCacheOn : identifyCacheOff, 0, SECTOR);
                startTransfer(PIO_IN, SECTOR);
            }
            case CMD_SET_FEATURES -> setFeatures();
            case CMD_INITIALIZE_DEVICE_PARAMETERS -> {
                // Nothing to set: there is no geometry to configure.
            }
            default -> abort("unsupported command 0x" + Integer.toHexString(command));
        }
    }

    private void setFeatures() {
        switch (features) {
            case FEATURE_ENABLE_WRITE_CACHE -> writeCache = true;
            case FEATURE_DISABLE_WRITE_CACHE -> writeCache = false;
            default -> {
                // A transfer mode and the like: there is one mode and nothing to configure.
            }
        }
    }

    private long lba() {
        return ((long) (device & 0x0f) << 24) | (lbaHigh << 16) | (lbaMid << 8) | lbaLow;
    }

    private int sectorCount() {
        return count == 0 ? MAX_SECTORS : count;
    }

    /** Checks addressing mode and range; aborts and returns false if the request is not servable. */
    private boolean checkRequest(String name) {
        if ((device & DEVICE_LBA) == 0) {
            abort(name + " with CHS addressing, only LBA is supported");
            return false;
        }
        if (!image.contains(lba(), sectorCount())) {
            abort(name + " of " + sectorCount() + " sectors at LBA " + lba() + " past the end of the disk ("
                    + image.sectors() + " sectors)");
            return false;
        }
        return true;
    }

    private void startRead() {
        if (!checkRequest("READ SECTORS")) {
            return;
        }
        int bytes = sectorCount() * SECTOR;
        buffer.clear().limit(bytes);
        try {
            image.read(buffer, lba());
        } catch (IOException | RuntimeException e) {
            fault("reading " + image, e);
            return;
        }
        startTransfer(PIO_IN, bytes);
    }

    private void startWrite() {
        if (image.readOnly()) {
            abort("WRITE SECTORS to read-only " + image.path());
            return;
        }
        if (!checkRequest("WRITE SECTORS")) {
            return;
        }
        transferLba = lba();
        startTransfer(PIO_OUT, sectorCount() * SECTOR);
    }

    private void startTransfer(int direction, int bytes) {
        transfer = direction;
        position = 0;
        limit = bytes;
        // The data port uses absolute indexes, which the buffer checks against its limit: a
        // shorter transfer before this one must not cut it short. The contents stay.
        buffer.clear().limit(bytes);
        status = READY | STATUS_DRQ;
    }

    private void commitWrite() {
        transfer = IDLE;
        buffer.clear().limit(limit);
        try {
            image.write(buffer, transferLba);
            if (!writeCache) {
                image.flush();
            }
            status = READY;
        } catch (IOException | RuntimeException e) {
            fault("writing " + image, e);
        }
    }

    private void flushCache() {
        try {
            image.flush();
        } catch (IOException | RuntimeException e) {
            fault("flushing " + image, e);
        }
    }

    private void abort(String why) {
        transfer = IDLE;
        status = READY | STATUS_ERR;
        error = ERROR_ABRT;
        guestError(why);
    }

    private void fault(String what, Exception e) {
        transfer = IDLE;
        status = READY | STATUS_DF | STATUS_ERR;
        error = ERROR_ABRT;
        Log.LOG.log(Level.WARNING, "ata: " + what + " failed: " + e);
    }

    private static void guestError(String what) {
        if (Log.LOG.isLoggable(Level.DEBUG)) {
            Log.LOG.log(Level.DEBUG, "ata: guest error: " + what);
        }
    }

    /**
     * Closes the image.
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        image.close();
    }

    @Override
    public String toString() {
        return "ata-pio(" + image + ")";
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(AtaPio.class.getName());
    }
}
