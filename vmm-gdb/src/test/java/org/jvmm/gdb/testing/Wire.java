package org.jvmm.gdb.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jvmm.gdb.MonitorCommand;
import org.jvmm.gdb.rsp.Session;

/**
 * The client side of a {@link Session}, in memory: two pipes, the session on its own thread, and
 * a reader that splits what the stub sends into acknowledgements and checked packets. Speaks like
 * gdb: acknowledges every packet until no-ack mode.
 */
public final class Wire implements AutoCloseable {

    private static final long TIMEOUT_SECONDS = 10;

    private final Pipe toStub = Pipe.open();
    private final Pipe fromStub = Pipe.open();
    private final Thread session;
    private final Thread reader;
    private final BlockingQueue<String> packets = new LinkedBlockingQueue<>();
    private final BlockingQueue<Character> acks = new LinkedBlockingQueue<>();
    private volatile boolean ackMode = true;
    private volatile boolean ended;
    private final java.util.concurrent.atomic.AtomicInteger rejects = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Starts a session.
     *
     * @param target   the fake machine
     * @param commands monitor commands
     * @throws IOException if the pipes cannot be made
     */
    public Wire(FakeTarget target, List<MonitorCommand> commands) throws IOException {
        Session s = new Session(target, commands, toStub.source(), fromStub.sink(), 5_000);
        session = Thread.ofPlatform().daemon().name("test-session").start(s::run);
        reader = Thread.ofPlatform().daemon().name("test-reader").start(this::read);
    }

    private void read() {
        ByteBuffer buffer = ByteBuffer.allocate(1);
        StringBuilder packet = null;
        int checksumDigits = -1;
        try {
            while (fromStub.source().read(buffer.clear()) > 0) {
                char c = (char) (buffer.get(0) & 0xff);
                if (packet == null) {
                    if (c == '$') {
                        packet = new StringBuilder();
                    } else {
                        acks.add(c);
                    }
                } else if (checksumDigits >= 0) {
                    packet.append(c);
                    if (++checksumDigits == 2) {
                        String text = packet.toString();
                        int hash = text.lastIndexOf('#');
                        String payload = text.substring(0, hash);
                        int sum = 0;
                        for (int i = 0; i < payload.length(); i++) {
                            sum += payload.charAt(i);
                        }
                        assertEquals(sum & 0xff, Integer.parseInt(text.substring(hash + 1), 16), "checksum of " + payload);
                        if (ackMode) {
                            raw(rejects.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? "-" : "+");
                        }
                        packets.add(payload);
                        packet = null;
                        checksumDigits = -1;
                    }
                } else {
                    packet.append(c);
                    if (c == '#') {
                        checksumDigits = 0;
                    }
                }
            }
        } catch (IOException e) {
            // the stub closed its end
        }
        ended = true;
    }

    /**
     * Sends bytes as they are.
     *
     * @param bytes one char per byte
     */
    public void raw(String bytes) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes.getBytes(StandardCharsets.ISO_8859_1));
            while (buffer.hasRemaining()) {
                toStub.sink().write(buffer);
            }
        } catch (IOException e) {
            throw new IllegalStateException("stub end closed", e);
        }
    }

    /**
     * Frames and sends a packet (binary data already escaped).
     *
     * @param payload the payload
     */
    public void send(String payload) {
        int sum = 0;
        for (int i = 0; i < payload.length(); i++) {
            sum += payload.charAt(i);
        }
        raw("$" + payload + "#" + String.format("%02x", sum & 0xff));
    }

    /**
     * Sends a packet and returns the reply, checking the stub acknowledged the packet in ack mode.
     *
     * @param payload the request
     * @return the reply payload
     */
    public String request(String payload) {
        send(payload);
        if (ackMode) {
            assertEquals('+', ack(), "acknowledgement of " + payload);
        }
        return packet();
    }

    /** {@return the next acknowledgement character the stub sent} */
    public char ack() {
        try {
            Character c = acks.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (c == null) {
                fail("no acknowledgement from the stub");
            }
            return c;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@return the next packet the stub sent} */
    public String packet() {
        try {
            String p = packets.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (p == null) {
                fail("no packet from the stub");
            }
            return p;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The next packet, if one comes soon.
     *
     * @param millis how long to wait
     * @return it, or null
     */
    public String packetWithin(long millis) {
        try {
            return packets.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@return the acknowledgements and packets not yet taken} */
    public boolean idle() {
        return packets.isEmpty() && acks.isEmpty();
    }

    /**
     * Answers the next packets from the stub with {@code -}, as if they arrived corrupted.
     *
     * @param count how many
     */
    public void rejectNext(int count) {
        rejects.set(count);
    }

    /** Stops acknowledging, as gdb does after QStartNoAckMode. */
    public void noAck() {
        ackMode = false;
    }

    /**
     * Waits for the session to end (after D, k, or closing the client end).
     *
     * @return whether it ended in time
     * @throws InterruptedException if interrupted
     */
    public boolean awaitEnd() throws InterruptedException {
        session.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        reader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        return !session.isAlive() && ended;
    }

    /** Closes the client end, as a client that goes away. */
    public void disconnect() {
        try {
            toStub.sink().close();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        disconnect();
        awaitEnd();
        fromStub.source().close();
    }
}
