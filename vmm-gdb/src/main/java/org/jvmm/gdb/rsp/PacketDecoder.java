package org.jvmm.gdb.rsp;

import java.nio.charset.StandardCharsets;

/**
 * The protocol's framing, one byte at a time: {@code $payload#cc} with {@code cc} the modulo-256
 * sum of the payload bytes in two hex digits; {@code +} and {@code -} acknowledgements, and the
 * Ctrl-C byte 0x03, between packets. Anything else between packets is line noise and ignored; a
 * {@code $} inside a packet starts the packet over (the sender gave up on the first one).
 *
 * <p>Payloads longer than the limit are not kept, but their checksum is still checked, so a
 * well-formed overlong packet is told apart from a corrupted one. Payload bytes map one to one to
 * chars (ISO-8859-1), which keeps the binary data of {@code X} packets intact.
 */
public final class PacketDecoder {

    /** The byte gdb sends for Ctrl-C, outside any packet. */
    public static final int INTERRUPT = 0x03;

    /** What the decoder found. */
    public interface Sink {
        /**
         * A packet with a good checksum.
         *
         * @param payload the text between {@code $} and {@code #}, still escaped
         */
        void packet(String payload);

        /** A well-formed packet longer than the limit. */
        void overlong();

        /**
         * A packet whose checksum is wrong or not hex: the sender should retransmit.
         *
         * @param why what was wrong
         */
        void corrupt(String why);

        /** {@code +}. */
        void ack();

        /** {@code -}: retransmit the last packet. */
        void nack();

        /** Ctrl-C. */
        void interrupt();
    }

    private enum State { IDLE, PAYLOAD, CHECKSUM_HIGH, CHECKSUM_LOW }

    private final Sink sink;
    private final byte[] payload;
    private State state = State.IDLE;
    private int length;
    private boolean overlong;
    private int sum;
    private int checksum;

    /**
     * Creates a decoder.
     *
     * @param sink       where packets and control bytes go
     * @param maxPayload the longest payload kept
     */
    public PacketDecoder(Sink sink, int maxPayload) {
        this.sink = sink;
        this.payload = new byte[maxPayload];
    }

    /**
     * Consumes bytes.
     *
     * @param bytes  the buffer
     * @param offset first byte
     * @param count  how many
     */
    public void feed(byte[] bytes, int offset, int count) {
        for (int i = offset; i < offset + count; i++) {
            feed(bytes[i]);
        }
    }

    /**
     * Consumes one byte.
     *
     * @param b the byte
     */
    public void feed(byte b) {
        int c = b & 0xff;
        switch (state) {
            case IDLE -> {
                switch (c) {
                    case '$' -> start();
                    case '+' -> sink.ack();
                    case '-' -> sink.nack();
                    case INTERRUPT -> sink.interrupt();
                    default -> { } // line noise between packets
                }
            }
            case PAYLOAD -> {
                if (c == '#') {
                    state = State.CHECKSUM_HIGH;
                } else if (c == '$') {
                    start();
                } else {
                    sum += c;
                    if (length < payload.length) {
                        payload[length++] = b;
                    } else {
                        overlong = true;
                    }
                }
            }
            case CHECKSUM_HIGH -> checksumDigit(c, State.CHECKSUM_LOW);
            case CHECKSUM_LOW -> checksumDigit(c, State.IDLE);
        }
    }

    private void start() {
        state = State.PAYLOAD;
        length = 0;
        sum = 0;
        checksum = 0;
        overlong = false;
    }

    private void checksumDigit(int c, State next) {
        int d = Hex.digit(c);
        if (d < 0) {
            state = State.IDLE;
            sink.corrupt("checksum digit '" + (char) c + "' is not hex");
            if (c == '$') {
                start();
            }
            return;
        }
        checksum = checksum << 4 | d;
        state = next;
        if (next == State.IDLE) {
            if (checksum != (sum & 0xff)) {
                sink.corrupt("checksum 0x" + Integer.toHexString(checksum) + ", sum 0x" + Integer.toHexString(sum & 0xff));
            } else if (overlong) {
                sink.overlong();
            } else {
                sink.packet(new String(payload, 0, length, StandardCharsets.ISO_8859_1));
            }
        }
    }

    /**
     * Frames a payload: {@code $payload#cc}.
     *
     * @param payload the text, already escaped where it carries binary data
     * @return the bytes to send
     */
    public static byte[] frame(String payload) {
        byte[] out = new byte[payload.length() + 4];
        out[0] = '$';
        int sum = 0;
        for (int i = 0; i < payload.length(); i++) {
            byte b = (byte) payload.charAt(i);
            out[i + 1] = b;
            sum += b & 0xff;
        }
        out[payload.length() + 1] = '#';
        out[payload.length() + 2] = (byte) Character.forDigit((sum >> 4) & 0xf, 16);
        out[payload.length() + 3] = (byte) Character.forDigit(sum & 0xf, 16);
        return out;
    }
}
