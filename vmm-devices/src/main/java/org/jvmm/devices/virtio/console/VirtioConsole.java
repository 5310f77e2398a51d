package org.jvmm.devices.virtio.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.Objects;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.devices.thread.DeviceThread;
import org.jvmm.devices.virtio.AbstractVirtioDevice;
import org.jvmm.devices.virtio.ConfigSpace;
import org.jvmm.devices.virtio.VirtioContext;
import org.jvmm.devices.virtio.VirtioFeatures;
import org.jvmm.devices.virtio.queue.ChainBuffers;
import org.jvmm.devices.virtio.queue.DescriptorChain;
import org.jvmm.devices.virtio.queue.Virtqueue;

/**
 * virtio-console (device id 3, VIRTIO 1.2 section 5.3) with one port: receiveq 0 carries host
 * input to the guest, transmitq 1 guest output to the host. Offers VIRTIO_CONSOLE_F_SIZE
 * ({@link #resize}) and VIRTIO_CONSOLE_F_EMERG_WRITE (a config write that prints one byte, for
 * early boot output).
 *
 * <p>Output goes to a {@link WritableByteChannel} straight from guest memory. Input is offered
 * with {@link #offer}, from any thread; it waits in a bounded host buffer until the driver posts
 * receive buffers. {@link #pumpFrom} starts a thread copying an {@link InputStream} in.
 */
public final class VirtioConsole extends AbstractVirtioDevice {

    /** virtio device id of a console. */
    public static final int DEVICE_ID = 3;
    /** Feature: cols and rows in config space are valid. */
    public static final int F_SIZE = 0;
    /** Feature: multiple ports; not offered. */
    public static final int F_MULTIPORT = 1;
    /** Feature: the emerg_wr config field prints a byte. */
    public static final int F_EMERG_WRITE = 2;
    /** The receive queue (host to guest). */
    public static final int RECEIVEQ = 0;
    /** The transmit queue (guest to host). */
    public static final int TRANSMITQ = 1;
    /** Maximum size of each queue. */
    public static final int QUEUE_SIZE = 256;
    /** Host input buffered while the guest has no receive buffers. */
    public static final int INPUT_BUFFER_SIZE = 64 * 1024;

    /** cols(16) rows(16) max_nr_ports(32) emerg_wr(32). */
    private static final int CONFIG_SIZE = 12;
    private static final int CONFIG_SIZE_FIELDS = 0;
    private static final int CONFIG_MAX_NR_PORTS = 4;
    private static final int CONFIG_EMERG_WR = 8;

    private final WritableByteChannel output;
    private final ChainBuffers transmitted = new ChainBuffers(QUEUE_SIZE);
    private final ChainBuffers received = new ChainBuffers(QUEUE_SIZE);
    private final byte[] input = new byte[INPUT_BUFFER_SIZE];
    private int inputStart;
    private int inputLength;

    /**
     * Creates a console writing to a channel.
     *
     * @param output where guest output goes
     * @param cols   terminal columns, 0 if unknown
     * @param rows   terminal rows, 0 if unknown
     */
    public VirtioConsole(WritableByteChannel output, int cols, int rows) {
        super(DEVICE_ID, VirtioFeatures.bit(F_SIZE) | VirtioFeatures.bit(F_EMERG_WRITE), new ConfigSpace(CONFIG_SIZE),
                QUEUE_SIZE, QUEUE_SIZE);
        this.output = Objects.requireNonNull(output, "output");
        config.put(CONFIG_SIZE_FIELDS, 4, pack(cols, rows));
        // max_nr_ports means something only with MULTIPORT; one port either way.
        config.put(CONFIG_MAX_NR_PORTS, 4, 1);
    }

    /**
     * Creates a console writing to a stream, 80 by 25.
     *
     * @param output where guest output goes; each write is flushed
     * @return the console
     */
    public static VirtioConsole toStream(OutputStream output) {
        Objects.requireNonNull(output, "output");
        return new VirtioConsole(Channels.newChannel(new FlushingStream(output)), 80, 25);
    }

    private static int pack(int cols, int rows) {
        if (cols < 0 || cols > 0xFFFF || rows < 0 || rows > 0xFFFF) {
            throw new IllegalArgumentException("console size " + cols + "x" + rows + " does not fit 16 bits");
        }
        return cols | rows << 16;
    }

    /**
     * Changes the terminal size the guest sees and tells the driver.
     *
     * @param cols columns
     * @param rows rows
     */
    public void resize(int cols, int rows) {
        // Both fields and the generation change in one step: a driver sees old or new, never half.
        config.put(CONFIG_SIZE_FIELDS, 4, pack(cols, rows));
        configChanged();
    }

    /**
     * Queues host input for the guest. Never blocks: takes what fits in the host buffer.
     *
     * @param bytes  the input
     * @param offset first byte
     * @param length number of bytes
     * @return bytes taken; fewer than {@code length} when the buffer is full
     */
    public int offer(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int taken;
        synchronized (input) {
            taken = Math.min(length, input.length - inputLength);
            for (int i = 0; i < taken; i++) {
                input[(inputStart + inputLength + i) % input.length] = bytes[offset + i];
            }
            inputLength += taken;
        }
        VirtioContext c = context();
        if (taken > 0 && c != null) {
            c.kick(RECEIVEQ);
        }
        return taken;
    }

    /**
     * Starts a daemon thread copying {@code in} to the guest until end of stream, waiting while
     * the host buffer is full.
     *
     * @param in   host input, e.g. {@code System.in}
     * @param name the thread's name
     * @return the running thread; closing it stops the copy (a read of stdin already blocked stays so)
     */
    public DeviceThread pumpFrom(InputStream in, String name) {
        byte[] buffer = new byte[4096];
        return DeviceThread.start(name, () -> {
            int n = in.read(buffer);
            if (n < 0) {
                return false;
            }
            for (int done = 0; done < n; ) {
                done += offer(buffer, done, n - done);
                if (done < n) {
                    synchronized (input) {
                        while (inputLength == input.length) {
                            input.wait();
                        }
                    }
                }
            }
            return true;
        }, Thread::interrupt, Duration.ZERO);
    }

    /** {@return host input bytes not yet delivered to the guest} */
    public int pendingInput() {
        synchronized (input) {
            return inputLength;
        }
    }

    @Override
    public void writeConfig(int offset, int width, long value) {
        if (offset == CONFIG_EMERG_WR && width == 4) {
            ByteBuffer one = ByteBuffer.allocate(1).put(0, (byte) value);
            writeFully(one);
        }
    }

    @Override
    protected void process(VirtioContext c, int queue) {
        if (queue == TRANSMITQ) {
            transmit(c);
        } else {
            receive(c);
        }
    }

    private void transmit(VirtioContext c) {
        Virtqueue q = c.queue(TRANSMITQ);
        GuestMemory memory = c.memory();
        DescriptorChain chain;
        while ((chain = q.pop()) != null) {
            int head = chain.head();
            // The whole chain is checked before a byte leaves: a loop or a buffer outside RAM found
            // halfway must not send what came before it (up to a queue size of copies, for a loop).
            transmitted.collect(chain);
            long bytes = 0;
            for (int i = 0; i < transmitted.firstWritable(); i++) {
                long length = transmitted.length(i);
                long address = transmitted.address(i);
                for (long done = 0; done < length; ) {
                    ByteBuffer piece = ChainBuffers.piece(memory, address + done, length - done);
                    done += piece.remaining();
                    writeFully(piece);
                }
                bytes += length;
            }
            c.addUsed(TRANSMITQ, head, 0, bytes);
        }
        c.signalUsed(TRANSMITQ);
    }

    private void writeFully(ByteBuffer buffer) {
        try {
            while (buffer.hasRemaining()) {
                output.write(buffer);
            }
        } catch (IOException e) {
            // Host output failing must not stop the guest; its bytes are lost, as on a cut serial line.
            Log.LOG.log(Level.WARNING, "console output failed: " + e.getMessage());
        }
    }

    private void receive(VirtioContext c) {
        Virtqueue q = c.queue(RECEIVEQ);
        GuestMemory memory = c.memory();
        synchronized (input) {
            DescriptorChain chain;
            while (inputLength > 0 && (chain = q.pop()) != null) {
                int head = chain.head();
                // Checked whole first, as on transmit: a broken chain consumes no input.
                received.collect(chain);
                int written = 0;
                for (int i = received.firstWritable(); inputLength > 0 && i < received.count(); i++) {
                    long room = received.length(i);
                    if (room == 0) {
                        continue;
                    }
                    int n = (int) Math.min(room, inputLength);
                    MemorySegment target = memory.slice(received.address(i), n);
                    int first = Math.min(n, input.length - inputStart);
                    MemorySegment.copy(input, inputStart, target, ValueLayout.JAVA_BYTE, 0, first);
                    MemorySegment.copy(input, 0, target, ValueLayout.JAVA_BYTE, first, n - first);
                    inputStart = (inputStart + n) % input.length;
                    inputLength -= n;
                    written += n;
                }
                c.addUsed(RECEIVEQ, head, written, written);
            }
            input.notifyAll();
        }
        c.signalUsed(RECEIVEQ);
    }

    /** Flushes after every write so interactive output is not held back. */
    private static final class FlushingStream extends OutputStream {
        private final OutputStream out;

        FlushingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            out.flush();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            out.flush();
        }
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(VirtioConsole.class.getName());
    }
}
