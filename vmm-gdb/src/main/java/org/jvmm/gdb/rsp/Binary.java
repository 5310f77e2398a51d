package org.jvmm.gdb.rsp;

import java.io.ByteArrayOutputStream;

/**
 * The protocol's binary data ({@code X} packets, {@code qXfer} replies): raw bytes, except that
 * {@code #}, {@code $}, {@code *} and <code>}</code> are sent as <code>}</code> followed by the
 * byte XOR 0x20.
 */
final class Binary {
    private static final int ESCAPE = '}';

    private Binary() {}

    /**
     * Escapes bytes for a reply.
     *
     * @param out    where
     * @param bytes  the data
     * @param offset first byte
     * @param length how many
     */
    static void append(StringBuilder out, byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            int c = bytes[i] & 0xff;
            if (c == '#' || c == '$' || c == '*' || c == ESCAPE) {
                out.append((char) ESCAPE).append((char) (c ^ 0x20));
            } else {
                out.append((char) c);
            }
        }
    }

    /** {@return how many characters {@link #append} makes of one byte} */
    static int escapedSize(byte b) {
        int c = b & 0xff;
        return c == '#' || c == '$' || c == '*' || c == ESCAPE ? 2 : 1;
    }

    /**
     * Unescapes the data at the end of a packet.
     *
     * @param packet the packet, one char per byte
     * @param from   first character of the data
     * @return the bytes
     */
    static byte[] decode(String packet, int from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(packet.length() - from);
        for (int i = from; i < packet.length(); i++) {
            int c = packet.charAt(i);
            if (c == ESCAPE) {
                if (++i == packet.length()) {
                    throw new MalformedPacketException("escape at the end of the data");
                }
                c = packet.charAt(i) ^ 0x20;
            }
            out.write(c);
        }
        return out.toByteArray();
    }
}
