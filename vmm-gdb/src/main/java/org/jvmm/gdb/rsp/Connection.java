package org.jvmm.gdb.rsp;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One client's byte stream: a reader thread turns bytes into packets with {@link PacketDecoder}
 * and acknowledges each ({@code +} good, {@code -} corrupt) until no-ack mode; {@link #send}
 * frames a reply and, in ack mode, waits for the client's {@code +}, retransmitting on {@code -}.
 */
public final class Connection implements AutoCloseable {

    private static final Logger LOG = System.getLogger(Connection.class.getName());
    private static final int MAX_TRANSMISSIONS = 8;
    private static final byte[] ACK = {'+'};
    private static final byte[] NACK = {'-'};
    private static final Integer PLUS = 1, MINUS = -1, CLOSED = 0;

    /** What the reader delivers, on its own thread. */
    public interface Listener {
        /**
         * A good packet (already acknowledged).
         *
         * @param payload the packet
         */
        void packet(String payload);

        /** A packet longer than the limit (acknowledged: it arrived intact). */
        void overlong();

        /** Ctrl-C. */
        void interrupt();

        /** The stream ended or failed. */
        void closed();
    }

    private final ReadableByteChannel in;
    private final WritableByteChannel out;
    private final Listener listener;
    private final long ackTimeoutMillis;
    private final BlockingQueue<Integer> acks = new LinkedBlockingQueue<>();
    private final Object writeLock = new Object();
    private volatile boolean receiveAcks = true;
    private volatile boolean sendAcks = true;
    private Thread reader;

    /**
     * Creates the connection; {@link #start()} begins reading.
     *
     * @param in               bytes from the client
     * @param out              bytes to the client
     * @param listener         where packets go
     * @param ackTimeoutMillis how long {@link #send} waits for an acknowledgement
     */
    public Connection(ReadableByteChannel in, WritableByteChannel out, Listener listener, long ackTimeoutMillis) {
        this.in = in;
        this.out = out;
        this.listener = listener;
        this.ackTimeoutMillis = ackTimeoutMillis;
    }

    /** Starts the reader thread. */
    public void start() {
        reader = Thread.ofPlatform().daemon().name("gdb-reader").start(this::read);
    }

    private void read() {
        PacketDecoder decoder = new PacketDecoder(new PacketDecoder.Sink() {
            @Override
            public void packet(String payload) {
                acknowledge(ACK);
                if (payload.equals("QStartNoAckMode")) {
                    sendAcks = false; // the client acknowledges our OK, then neither side does
                }
                listener.packet(payload);
            }

            @Override
            public void overlong() {
                acknowledge(ACK);
                listener.overlong();
            }

            @Override
            public void corrupt(String why) {
                LOG.log(Level.DEBUG, "gdb: corrupt packet ({0})", why);
                acknowledge(NACK);
            }

            @Override
            public void ack() {
                acks.add(PLUS);
            }

            @Override
            public void nack() {
                acks.add(MINUS);
            }

            @Override
            public void interrupt() {
                listener.interrupt();
            }
        }, Dispatcher.PACKET_SIZE);
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        try {
            while (in.read(buffer.clear()) >= 0) {
                decoder.feed(buffer.array(), 0, buffer.position());
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "gdb: connection read failed: {0}", e.toString());
        } finally {
            acks.add(CLOSED);
            listener.closed();
        }
    }

    private void acknowledge(byte[] ack) {
        if (sendAcks) {
            try {
                write(ack);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "gdb: acknowledgement not sent: {0}", e.toString());
            }
        }
    }

    private void write(byte[] bytes) throws IOException {
        synchronized (writeLock) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        }
    }

    /**
     * Sends a packet; in ack mode returns once the client acknowledged it.
     *
     * @param payload the payload, escaped where it carries binary data
     * @throws IOException if the connection failed, closed, or the client kept rejecting it
     */
    public void send(String payload) throws IOException {
        byte[] frame = PacketDecoder.frame(payload);
        if (!receiveAcks) {
            write(frame);
            return;
        }
        Integer stale;
        while ((stale = acks.poll()) != null) {
            if (stale.equals(CLOSED)) {
                acks.add(CLOSED);
                throw new IOException("connection closed");
            }
        }
        for (int transmission = 0; transmission < MAX_TRANSMISSIONS; transmission++) {
            write(frame);
            Integer ack;
            try {
                ack = acks.poll(ackTimeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for an acknowledgement");
            }
            if (ack == null) {
                throw new IOException("no acknowledgement within " + ackTimeoutMillis + " ms");
            }
            if (ack.equals(PLUS)) {
                return;
            }
            if (ack.equals(CLOSED)) {
                acks.add(CLOSED);
                throw new IOException("connection closed");
            }
        }
        throw new IOException("the client rejected a packet " + MAX_TRANSMISSIONS + " times");
    }

    /** No-ack mode from now on: the client stopped acknowledging our packets. */
    public void stopWaitingForAcks() {
        receiveAcks = false;
        sendAcks = false;
    }

    /** Closes both directions; the reader thread ends. */
    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "gdb: close: {0}", e.toString());
        }
        try {
            out.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "gdb: close: {0}", e.toString());
        }
    }

    /**
     * Waits for the reader thread to end (after {@link #close()} or the client's end).
     *
     * @param millis how long at most
     * @throws InterruptedException if interrupted
     */
    public void join(long millis) throws InterruptedException {
        if (reader != null) {
            reader.join(millis);
        }
    }
}
