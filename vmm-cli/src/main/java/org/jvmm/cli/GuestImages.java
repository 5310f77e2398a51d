package org.jvmm.cli;

import java.io.IOException;
import java.io.InputStream;

/** The built-in guests (built from guests/ in the repository, packaged as resources). */
final class GuestImages {
    private GuestImages() {}

    static byte[] load(String name) throws IOException {
        try (InputStream in = GuestImages.class.getResourceAsStream("guests/" + name + ".bin")) {
            if (in == null) {
                throw new IOException("built-in guest '" + name + "' is missing from this build");
            }
            return in.readAllBytes();
        }
    }

    /** The guests' test pattern (guests/lib/jvmm.h): what byte {@code i} of a transfer must be. */
    static byte patternByte(long i) {
        String alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        return i % 64 == 63 ? (byte) '\n' : (byte) alnum.charAt((int) ((i / 64 + i % 64) % 62));
    }

    /** FNV-1a 64, as the guests compute it over the bytes they read. */
    static long fnv1a(byte[] data) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : data) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
