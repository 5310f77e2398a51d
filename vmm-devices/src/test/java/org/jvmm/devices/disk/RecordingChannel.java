package org.jvmm.devices.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link FileChannel} over a real file that records what a device asks of it: every
 * {@link #force} (forwarded, so the data really reaches the disk), and the size of the largest
 * single read or write. With {@code sink} set, positional reads and writes are counted but not
 * performed: the buffer is consumed without touching its memory, so a test can move gigabytes of
 * untouched {@code MAP_NORESERVE} guest memory through a device without the host paging it in.
 */
public final class RecordingChannel extends FileChannel {

    private final FileChannel file;
    private final boolean sink;
    /** Calls of {@code force(true)}. */
    public int forcesWithMetadata;
    /** Calls of {@code force(false)}. */
    public int forcesWithoutMetadata;
    /** The most bytes one read or write call was asked to move. */
    public long largestTransfer;
    /** Bytes moved (or, with sink, pretended to be) by positional reads and writes. */
    public long transferred;
    /** Where the next positional transfer must start for the transfers so far to be contiguous; -1 before the first. */
    public long nextPosition = -1;
    /** Whether each positional transfer began where the one before it ended. */
    public boolean contiguous = true;

    private RecordingChannel(FileChannel file, boolean sink) {
        this.file = file;
        this.sink = sink;
    }

    /**
     * Opens {@code path} read-write.
     *
     * @param path an existing file
     * @param sink pretend to move data instead of moving it
     * @return the channel
     * @throws IOException if the file cannot be opened
     */
    public static RecordingChannel open(Path path, boolean sink) throws IOException {
        return new RecordingChannel(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE), sink);
    }

    private int record(ByteBuffer buffer, long position) {
        int n = buffer.remaining();
        largestTransfer = Math.max(largestTransfer, n);
        contiguous &= nextPosition < 0 || nextPosition == position;
        nextPosition = position + n;
        transferred += n;
        return n;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        if (sink) {
            int n = record(dst, position);
            dst.position(dst.limit());
            return n;
        }
        int before = dst.position();
        int n = file.read(dst, position);
        if (n > 0) {
            largestTransfer = Math.max(largestTransfer, dst.limit() - before);
            transferred += n;
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (sink) {
            int n = record(src, position);
            src.position(src.limit());
            return n;
        }
        largestTransfer = Math.max(largestTransfer, src.remaining());
        int n = file.write(src, position);
        transferred += n;
        return n;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        file.force(metaData);
        if (metaData) {
            forcesWithMetadata++;
        } else {
            forcesWithoutMetadata++;
        }
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }

    // What no device calls: forwarded as they are.

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return file.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return file.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return file.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        file.truncate(size);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return file.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return file.map(mode, position, size);
    }
}
