package org.jvmm.core.boot;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A kernel command line built from parameters, validated as it grows: printable ASCII only (no NUL,
 * which would end it early, and no control characters), and at most the kernel's {@code cmdline_size}
 * bytes, which does not count the terminating NUL.
 */
public final class CommandLine {

    /** x86's COMMAND_LINE_SIZE minus the NUL: the limit for a kernel whose header does not say. */
    public static final long DEFAULT_MAX_LENGTH = 2047;

    private final long maxLength;
    private final List<String> parts = new ArrayList<>();
    private int length;

    /**
     * An empty command line.
     *
     * @param maxLength the longest line the kernel accepts, in bytes without the NUL (its {@code cmdline_size})
     */
    public CommandLine(long maxLength) {
        if (maxLength <= 0) {
            throw new IllegalArgumentException("command line limit " + maxLength);
        }
        this.maxLength = maxLength;
    }

    /**
     * A command line sized for a kernel.
     *
     * @param kernel the loaded kernel; a bzImage's cmdline_size is the limit, else {@link #DEFAULT_MAX_LENGTH}
     * @return the empty command line
     */
    public static CommandLine forKernel(LoadedKernel kernel) {
        return new CommandLine(kernel.header().map(SetupHeader::cmdlineSize).filter(n -> n > 0).orElse(DEFAULT_MAX_LENGTH));
    }

    /**
     * Appends space-separated text (one or more parameters).
     *
     * @param text parameters, e.g. {@code "console=ttyS0 earlyprintk=serial"}
     * @return this
     * @throws BootException CMDLINE_BAD_CHARACTER or CMDLINE_TOO_LONG; the line is unchanged then
     */
    public CommandLine append(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return this;
        }
        for (int i = 0; i < trimmed.length(); i++) {
            char c = trimmed.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new BootException(BootError.CMDLINE_BAD_CHARACTER,
                        String.format("character 0x%02x at index %d of \"%s\"", (int) c, i, printable(trimmed)));
            }
        }
        int added = trimmed.length() + (parts.isEmpty() ? 0 : 1);
        if (length + (long) added > maxLength) {
            throw new BootException(BootError.CMDLINE_TOO_LONG,
                    (length + added) + " bytes, the kernel accepts " + maxLength);
        }
        parts.add(trimmed);
        length += added;
        return this;
    }

    /**
     * Appends {@code key=value}.
     *
     * @param key   the parameter name
     * @param value its value
     * @return this
     * @throws BootException as {@link #append}
     */
    public CommandLine append(String key, String value) {
        if (key.isEmpty() || key.contains(" ") || key.contains("=")) {
            throw new IllegalArgumentException("parameter name '" + key + "'");
        }
        return append(key + "=" + value);
    }

    /** {@return the length in bytes, without the NUL} */
    public int length() {
        return length;
    }

    /** {@return the limit in bytes} */
    public long maxLength() {
        return maxLength;
    }

    /** {@return the bytes to put in guest memory, NUL-terminated} */
    public byte[] toBytes() {
        byte[] text = toString().getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = new byte[text.length + 1];
        System.arraycopy(text, 0, bytes, 0, text.length);
        return bytes;
    }

    @Override
    public String toString() {
        return String.join(" ", parts);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c >= 0x20 && c <= 0x7e ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return b.toString();
    }
}
