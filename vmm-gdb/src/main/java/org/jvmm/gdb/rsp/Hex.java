package org.jvmm.gdb.rsp;

/**
 * The protocol's hexadecimal: numbers most significant digit first, register values as
 * little-endian byte pairs. Parsing is strict: an empty field, a non-hex digit or a number wider
 * than 64 bits is a {@link MalformedPacketException}.
 */
final class Hex {
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex() {}

    /**
     * The value of one hex digit.
     *
     * @param c the character
     * @return 0 to 15, or -1 if it is not a hex digit
     */
    static int digit(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /**
     * A number in {@code text[from, to)}.
     *
     * @param text the packet
     * @param from first character
     * @param to   end, exclusive
     * @return the value, unsigned
     */
    static long parse(String text, int from, int to) {
        if (from >= to) {
            throw new MalformedPacketException("empty number");
        }
        int start = from;
        while (start < to - 1 && text.charAt(start) == '0') {
            start++; // leading zeros do not count against the 16 digits
        }
        if (to - start > 16) {
            throw new MalformedPacketException("number wider than 64 bits");
        }
        long value = 0;
        for (int i = start; i < to; i++) {
            int d = digit(text.charAt(i));
            if (d < 0) {
                throw new MalformedPacketException("not a hex digit: " + text.charAt(i));
            }
            value = value << 4 | d;
        }
        return value;
    }

    /**
     * A whole field that must fit an int, such as a length.
     *
     * @param text the field
     * @return the value
     */
    static int parseInt(String text) {
        long value = parse(text, 0, text.length());
        if (value > Integer.MAX_VALUE) {
            throw new MalformedPacketException("number too large: " + text);
        }
        return (int) value;
    }

    /**
     * Bytes from hex pairs in {@code text[from, to)}.
     *
     * @param text the packet
     * @param from first character
     * @param to   end, exclusive
     * @return the bytes
     */
    static byte[] decode(String text, int from, int to) {
        if (((to - from) & 1) != 0) {
            throw new MalformedPacketException("odd number of hex digits");
        }
        byte[] bytes = new byte[(to - from) / 2];
        for (int i = 0; i < bytes.length; i++) {
            int high = digit(text.charAt(from + 2 * i));
            int low = digit(text.charAt(from + 2 * i + 1));
            if (high < 0 || low < 0) {
                throw new MalformedPacketException("not a hex byte at " + (from + 2 * i));
            }
            bytes[i] = (byte) (high << 4 | low);
        }
        return bytes;
    }

    /**
     * Appends bytes as hex pairs.
     *
     * @param out    where
     * @param bytes  the bytes
     * @param offset first byte
     * @param length how many
     */
    static void append(StringBuilder out, byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            out.append(DIGITS[(bytes[i] >> 4) & 0xf]).append(DIGITS[bytes[i] & 0xf]);
        }
    }

    /**
     * Bytes as hex pairs.
     *
     * @param bytes the bytes
     * @return the text
     */
    static String encode(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length * 2);
        append(out, bytes, 0, bytes.length);
        return out.toString();
    }

    /**
     * Appends a value as {@code size} little-endian hex pairs (a register in {@code g}).
     *
     * @param out   where
     * @param value the value
     * @param size  bytes, 1 to 8
     */
    static void appendLittleEndian(StringBuilder out, long value, int size) {
        for (int i = 0; i < size; i++) {
            int b = (int) (value >>> (8 * i)) & 0xff;
            out.append(DIGITS[b >> 4]).append(DIGITS[b & 0xf]);
        }
    }

    /**
     * A little-endian value of {@code size} bytes from {@code 2 * size} hex digits at {@code from}.
     *
     * @param text the packet
     * @param from first digit
     * @param size bytes, 1 to 8
     * @return the value
     */
    static long parseLittleEndian(String text, int from, int size) {
        if (from + 2 * size > text.length()) {
            throw new MalformedPacketException("register value too short");
        }
        byte[] bytes = decode(text, from, from + 2 * size);
        long value = 0;
        for (int i = size - 1; i >= 0; i--) {
            value = value << 8 | (bytes[i] & 0xff);
        }
        return value;
    }

    /**
     * A number as the protocol writes it: lowercase hex, no leading zeros.
     *
     * @param value the value, unsigned
     * @return the text
     */
    static String of(long value) {
        return Long.toHexString(value);
    }
}
