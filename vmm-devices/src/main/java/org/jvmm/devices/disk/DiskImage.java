package org.jvmm.devices.disk;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A raw disk image: a file of 512-byte sectors, opened with a lock so two VMs never share a
 * writable image, and never grown, truncated or created. A writable image takes an exclusive lock;
 * a read-only one a shared lock, so several VM processes may read one image no one writes. Bytes
 * past the last whole sector are not part of the disk.
 *
 * <p>The locks are POSIX record locks: advisory, per process, released when the image is closed.
 * Inside one process the JDK refuses any second lock on the same file, so one jvmm process attaches
 * an image once.
 * An interrupt of a thread inside {@link #read} or {@link #write} closes the channel (a
 * {@link FileChannel} rule), so callers do not interrupt vCPU threads.
 */
public final class DiskImage implements AutoCloseable {

    /** The sector size in bytes. */
    public static final int SECTOR_SIZE = 512;

    /**
     * TEST ONLY: the system property that makes {@link #flush} return without forcing anything, so
     * that scripts/check/durability-check.sh can show that its power cut loses unflushed data. It
     * takes effect only with the value {@value #NO_OP_FLUSH_CONSENT}; any other value is ignored with
     * a warning, and when it is on every JVM that opens an image logs a warning saying so.
     */
    static final String NO_OP_FLUSH_PROPERTY = "jvmm.testonly.noOpFlush";
    /** The only value of {@value #NO_OP_FLUSH_PROPERTY} that turns the no-op flush on. */
    static final String NO_OP_FLUSH_CONSENT = "loses-flushed-data-on-power-loss";
    private static final boolean NO_OP_FLUSH = noOpFlush(System.getProperty(NO_OP_FLUSH_PROPERTY));

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean readOnly;
    private final long sectors;
    private final AtomicLong forces = new AtomicLong();

    private DiskImage(Path path, FileChannel channel, FileLock lock, boolean readOnly, long sectors) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
        this.readOnly = readOnly;
        this.sectors = sectors;
    }

    /**
     * Opens an existing image and locks it.
     *
     * @param path     the image file
     * @param readOnly open for reading only (with a shared lock)
     * @return the open image
     * @throws IOException if the file cannot be opened, or another process (or this one) holds a
     *                     conflicting lock on it
     */
    public static DiskImage open(Path path, boolean readOnly) throws IOException {
        FileChannel channel = readOnly
                ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return open(path, channel, readOnly);
    }

    /**
     * Takes over a channel the caller opened on an image (one it opened its own way, or one that
     * records what the device does with it) and locks it. The image owns the channel from here
     * on, also when this fails.
     *
     * @param path     the image file, for messages
     * @param channel  the open channel: readable, and writable unless {@code readOnly}
     * @param readOnly refuse writes and take a shared lock
     * @return the open image
     * @throws IOException if the size cannot be read, or another process (or this one) holds a
     *                     conflicting lock on the file
     */
    public static DiskImage open(Path path, FileChannel channel, boolean readOnly) throws IOException {
        try {
            FileLock lock;
            try {
                lock = channel.tryLock(0, Long.MAX_VALUE, readOnly);
            } catch (OverlappingFileLockException e) {
                lock = null; // this process holds it already: the same situation for the user
            }
            if (lock == null) {
                throw new IOException("disk image " + path + " is already in use by another VM or process;"
                        + " stop it or use a copy of the image");
            }
            return new DiskImage(path, channel, lock, readOnly, channel.size() / SECTOR_SIZE);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** {@return the image file} */
    public Path path() {
        return path;
    }

    /** {@return whether writes are refused} */
    public boolean readOnly() {
        return readOnly;
    }

    /** {@return the disk size in whole sectors} */
    public long sectors() {
        return sectors;
    }

    /**
     * Whether {@code count} sectors from {@code sector} lie on the disk.
     *
     * @param sector first sector
     * @param count  number of sectors
     * @return true if the whole range is inside the disk
     */
    public boolean contains(long sector, long count) {
        return sector >= 0 && count >= 0 && sector <= sectors && count <= sectors - sector;
    }

    private void checkRange(long sector, int bytes) {
        if (bytes % SECTOR_SIZE != 0 || !contains(sector, bytes / SECTOR_SIZE)) {
            throw new IllegalArgumentException(bytes + " bytes at sector " + sector + " are not whole sectors on "
                    + path + " (" + sectors + " sectors)");
        }
    }

    /**
     * Reads whole sectors into {@code dst}, from its position to its limit.
     *
     * @param dst    where to put the bytes; its remaining bytes are a multiple of {@link #SECTOR_SIZE}
     * @param sector the first sector
     * @throws IOException if the read fails or the file shrank under us
     * @throws IllegalArgumentException if the range is not whole sectors inside the disk
     */
    public void read(ByteBuffer dst, long sector) throws IOException {
        checkRange(sector, dst.remaining());
        readAt(dst, sector * SECTOR_SIZE);
    }

    /**
     * Reads {@code dst.remaining()} bytes at a byte position: one piece of a request whose whole
     * range the caller checked with {@link #contains}.
     *
     * @param dst      where to put the bytes
     * @param position byte offset in the image
     * @throws IOException if the read fails or the file shrank under us
     * @throws IllegalArgumentException if the bytes are not all on the disk
     */
    public void readAt(ByteBuffer dst, long position) throws IOException {
        checkBytes(position, dst.remaining());
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position);
            if (n < 0) {
                throw new EOFException(path + " ended at byte " + position + ", shorter than when it was opened");
            }
            position += n;
        }
    }

    /**
     * Writes whole sectors from {@code src}, from its position to its limit.
     *
     * @param src    the bytes; their number is a multiple of {@link #SECTOR_SIZE}
     * @param sector the first sector
     * @throws IOException if the write fails
     * @throws IllegalArgumentException if the range is not whole sectors inside the disk
     * @throws IllegalStateException if the image is read-only
     */
    public void write(ByteBuffer src, long sector) throws IOException {
        checkRange(sector, src.remaining());
        writeAt(src, sector * SECTOR_SIZE);
    }

    /**
     * Writes {@code src.remaining()} bytes at a byte position: one piece of a request whose whole
     * range the caller checked with {@link #contains}.
     *
     * @param src      the bytes
     * @param position byte offset in the image
     * @throws IOException if the write fails
     * @throws IllegalArgumentException if the bytes are not all on the disk
     * @throws IllegalStateException if the image is read-only
     */
    public void writeAt(ByteBuffer src, long position) throws IOException {
        if (readOnly) {
            throw new IllegalStateException(path + " is open read-only");
        }
        checkBytes(position, src.remaining());
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
    }

    private void checkBytes(long position, int bytes) {
        long size = sectors * SECTOR_SIZE;
        if (position < 0 || position > size || bytes > size - position) {
            throw new IllegalArgumentException(bytes + " bytes at byte " + position + " are not on " + path
                    + " (" + sectors + " sectors)");
        }
    }

    /**
     * Makes written sectors durable: {@link FileChannel#force force(true)}, an {@code fsync}, which
     * returns once the file's data and metadata are on stable storage. Does nothing on a
     * read-only image.
     *
     * @throws IOException if the sync fails
     */
    public void flush() throws IOException {
        if (!readOnly && !NO_OP_FLUSH) {
            channel.force(true);
            forces.incrementAndGet();
        }
    }

    /**
     * How many {@link #flush}es reached stable storage: each one counted after its
     * {@code force} returned.
     *
     * @return the count since the image was opened
     */
    public long forces() {
        return forces.get();
    }

    /**
     * Whether a value of {@value #NO_OP_FLUSH_PROPERTY} turns the test-only no-op flush on: only the
     * exact consent string does, and then a warning is logged.
     *
     * @param value the property's value, or null when it is not set
     * @return true if {@link #flush} must not force
     */
    static boolean noOpFlush(String value) {
        if (value == null) {
            return false;
        }
        if (!value.equals(NO_OP_FLUSH_CONSENT)) {
            Log.LOG.log(System.Logger.Level.WARNING, "ignoring -D" + NO_OP_FLUSH_PROPERTY + "=" + value
                    + ": disk flushes stay real (the test-only switch needs the value " + NO_OP_FLUSH_CONSENT + ")");
            return false;
        }
        Log.LOG.log(System.Logger.Level.WARNING, "TEST ONLY: -D" + NO_OP_FLUSH_PROPERTY + " is set: disk flushes"
                + " (virtio-blk FLUSH, ATA FLUSH CACHE) return without forcing data to stable storage");
        return true;
    }

    /**
     * Releases the lock and closes the file.
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return path + " (" + sectors + " sectors" + (readOnly ? ", read-only)" : ")");
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(DiskImage.class.getName());
    }
}
