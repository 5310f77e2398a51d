package org.jvmm.machine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The built-in guests (guests/ in the repository, packaged in this module): small raw long-mode
 * payloads that each drive one device path, take their workload from the parameter block's
 * arguments, report in its result words and end with a debug exit (guests/README.md).
 */
public final class BuiltinGuests {

    /** The guests this build carries. */
    public static final List<String> NAMES = List.of("hello", "uart-poll", "uart-irq", "virtio-console", "ata-read",
            "virtio-blk-read", "virtio-blk-write", "virtio-rng", "hostile-virtio", "hostile-io");

    private BuiltinGuests() {}

    /**
     * A guest's binary.
     *
     * @param name one of {@link #NAMES}
     * @return its bytes, to boot as a long-mode {@link RawPayload}
     * @throws IllegalArgumentException when there is no such guest
     */
    public static byte[] load(String name) {
        try (InputStream in = BuiltinGuests.class.getResourceAsStream("guests/" + name + ".bin")) {
            if (in == null) {
                throw new IllegalArgumentException("no built-in guest '" + name + "' (known: " + String.join(", ", NAMES) + ")");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading built-in guest " + name, e);
        }
    }

    /**
     * The guests' test pattern (guests/lib/jvmm.h): what byte {@code i} of a transfer must be.
     *
     * @param i the byte's position
     * @return the byte
     */
    public static byte patternByte(long i) {
        String alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        return i % 64 == 63 ? (byte) '\n' : (byte) alnum.charAt((int) ((i / 64 + i % 64) % 62));
    }

    /**
     * FNV-1a 64, as the guests compute it over the bytes they read.
     *
     * @param data the bytes
     * @return the hash
     */
    public static long fnv1a(byte[] data) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : data) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
