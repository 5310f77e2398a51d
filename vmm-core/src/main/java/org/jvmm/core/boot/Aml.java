package org.jvmm.core.boot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few ACPI Machine Language constructs a VMM's DSDT needs (ACPI 6.5, chapter 20), encoded
 * directly: scopes, devices, named objects, integers, strings, packages, EISA ids and resource
 * templates. Each method returns the encoded term; terms nest by passing them to their parent.
 */
public final class Aml {

    private static final int ZERO_OP = 0x00;
    private static final int ONE_OP = 0x01;
    private static final int NAME_OP = 0x08;
    private static final int BYTE_PREFIX = 0x0a;
    private static final int WORD_PREFIX = 0x0b;
    private static final int DWORD_PREFIX = 0x0c;
    private static final int STRING_PREFIX = 0x0d;
    private static final int QWORD_PREFIX = 0x0e;
    private static final int SCOPE_OP = 0x10;
    private static final int BUFFER_OP = 0x11;
    private static final int PACKAGE_OP = 0x12;
    private static final int EXT_OP_PREFIX = 0x5b;
    private static final int DEVICE_OP = 0x82;
    private static final int ROOT_CHAR = 0x5c;
    private static final int DUAL_NAME_PREFIX = 0x2e;
    private static final int MULTI_NAME_PREFIX = 0x2f;

    private Aml() {}

    /**
     * {@code Scope(name) { terms }}.
     *
     * @param name  a name path such as {@code \_SB_}
     * @param terms the scope's contents
     * @return the encoded term
     */
    public static byte[] scope(String name, byte[]... terms) {
        return withPkgLength(new byte[] {(byte) SCOPE_OP}, concat(nameString(name), concat(terms)));
    }

    /**
     * {@code Device(name) { terms }}.
     *
     * @param name  a four-character name
     * @param terms the device's objects
     * @return the encoded term
     */
    public static byte[] device(String name, byte[]... terms) {
        return withPkgLength(new byte[] {(byte) EXT_OP_PREFIX, (byte) DEVICE_OP}, concat(nameString(name), concat(terms)));
    }

    /**
     * {@code Name(name, value)}.
     *
     * @param name  a four-character name
     * @param value an encoded data object
     * @return the encoded term
     */
    public static byte[] name(String name, byte[] value) {
        return concat(new byte[] {NAME_OP}, nameString(name), value);
    }

    /**
     * An integer in its shortest encoding (ZeroOp, OneOp, or a Byte/Word/DWord/QWord prefix).
     *
     * @param value the value, unsigned
     * @return the encoded integer
     */
    public static byte[] integer(long value) {
        if (value == 0) {
            return new byte[] {ZERO_OP};
        }
        if (value == 1) {
            return new byte[] {ONE_OP};
        }
        if (value >= 0 && value <= 0xff) {
            return new byte[] {BYTE_PREFIX, (byte) value};
        }
        if (value >= 0 && value <= 0xffff) {
            return concat(new byte[] {WORD_PREFIX}, le(value, 2));
        }
        if (value >= 0 && value <= 0xffff_ffffL) {
            return concat(new byte[] {DWORD_PREFIX}, le(value, 4));
        }
        return concat(new byte[] {QWORD_PREFIX}, le(value, 8));
    }

    /**
     * A string constant.
     *
     * @param text ASCII text without NUL
     * @return the encoded string
     */
    public static byte[] string(String text) {
        return concat(new byte[] {STRING_PREFIX}, text.getBytes(StandardCharsets.US_ASCII), new byte[] {0});
    }

    /**
     * {@code EisaId("PNP0501")}: three letters and four hex digits compressed into a DWord.
     *
     * @param id seven characters: three uppercase letters, four hex digits
     * @return the encoded DWord
     */
    public static byte[] eisaId(String id) {
        if (id.length() != 7) {
            throw new IllegalArgumentException("EISA id '" + id + "' is not 7 characters");
        }
        int vendor = ((id.charAt(0) - 0x40) << 10) | ((id.charAt(1) - 0x40) << 5) | (id.charAt(2) - 0x40);
        int product = Integer.parseInt(id.substring(3), 16);
        // Stored big-endian: vendor high byte first.
        byte[] bytes = {(byte) (vendor >> 8), (byte) vendor, (byte) (product >> 8), (byte) product};
        return concat(new byte[] {DWORD_PREFIX}, bytes);
    }

    /**
     * {@code Package() { elements }}.
     *
     * @param elements encoded data objects
     * @return the encoded package
     */
    public static byte[] pkg(byte[]... elements) {
        return withPkgLength(new byte[] {PACKAGE_OP}, concat(new byte[] {(byte) elements.length}, concat(elements)));
    }

    /**
     * {@code ResourceTemplate() { descriptors }}: a buffer of resource descriptors closed by an end tag.
     *
     * @param descriptors encoded resource descriptors
     * @return the encoded buffer
     */
    public static byte[] resourceTemplate(byte[]... descriptors) {
        byte[] body = concat(concat(descriptors), new byte[] {0x79, 0x00});
        return withPkgLength(new byte[] {BUFFER_OP}, concat(integer(body.length), body));
    }

    /**
     * {@code IO(Decode16, min, max, alignment, length)}.
     *
     * @param min       lowest base port
     * @param max       highest base port
     * @param alignment base alignment
     * @param length    number of ports
     * @return the descriptor
     */
    public static byte[] io(int min, int max, int alignment, int length) {
        return new byte[] {0x47, 0x01, (byte) min, (byte) (min >> 8), (byte) max, (byte) (max >> 8),
                (byte) alignment, (byte) length};
    }

    /**
     * {@code IRQNoFlags() { irq }}: an ISA interrupt, edge triggered, active high.
     *
     * @param irq 0 to 15
     * @return the descriptor
     */
    public static byte[] irqNoFlags(int irq) {
        int mask = 1 << irq;
        return new byte[] {0x22, (byte) mask, (byte) (mask >> 8)};
    }

    /**
     * {@code Memory32Fixed(ReadWrite, base, length)}.
     *
     * @param base   the window's address
     * @param length its size
     * @return the descriptor
     */
    public static byte[] memory32Fixed(long base, long length) {
        return concat(new byte[] {(byte) 0x86, 9, 0, 1}, le(base, 4), le(length, 4));
    }

    /**
     * {@code Interrupt(ResourceConsumer, Edge|Level, ActiveHigh, Exclusive) { gsi }}.
     *
     * @param gsi  the global system interrupt
     * @param edge true for edge triggered, false for level
     * @return the descriptor
     */
    public static byte[] interrupt(int gsi, boolean edge) {
        int flags = 0x01 | (edge ? 0x02 : 0);
        return concat(new byte[] {(byte) 0x89, 6, 0, (byte) flags, 1}, le(gsi, 4));
    }

    /**
     * A NameString: an optional root prefix, then four-character segments separated by dots (shorter
     * segments are padded with '_').
     *
     * @param path e.g. {@code \_SB_.COM1}
     * @return the encoded name
     */
    public static byte[] nameString(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String rest = path;
        if (rest.startsWith("\\")) {
            out.write(ROOT_CHAR);
            rest = rest.substring(1);
        }
        String[] segments = rest.isEmpty() ? new String[0] : rest.split("\\.");
        if (segments.length == 2) {
            out.write(DUAL_NAME_PREFIX);
        } else if (segments.length > 2) {
            out.write(MULTI_NAME_PREFIX);
            out.write(segments.length);
        } else if (segments.length == 0) {
            out.write(0);
        }
        for (String s : segments) {
            if (s.isEmpty() || s.length() > 4 || !s.matches("[A-Z_][A-Z0-9_]*")) {
                throw new IllegalArgumentException("AML name segment '" + s + "'");
            }
            out.writeBytes((s + "___").substring(0, 4).getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    /**
     * A PkgLength for {@code contentLength} bytes that follow it; the encoded length counts itself.
     *
     * @param contentLength bytes after the PkgLength
     * @return the 1 to 4 encoded bytes
     */
    public static byte[] pkgLength(int contentLength) {
        if (contentLength + 1 < 0x40) {
            return new byte[] {(byte) (contentLength + 1)};
        }
        for (int extra = 1; extra <= 3; extra++) {
            int total = contentLength + 1 + extra;
            if (total < (1 << (4 + 8 * extra))) {
                byte[] bytes = new byte[1 + extra];
                bytes[0] = (byte) ((extra << 6) | (total & 0xf));
                for (int i = 1; i <= extra; i++) {
                    bytes[i] = (byte) (total >> (4 + 8 * (i - 1)));
                }
                return bytes;
            }
        }
        throw new IllegalArgumentException("AML package of " + contentLength + " bytes is too large");
    }

    private static byte[] withPkgLength(byte[] opcode, byte[] content) {
        return concat(opcode, pkgLength(content.length), content);
    }

    static byte[] le(long value, int bytes) {
        byte[] out = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            out[i] = (byte) (value >>> (8 * i));
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
