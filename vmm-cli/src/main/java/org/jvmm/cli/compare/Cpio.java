package org.jvmm.cli.compare;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format Linux unpacks as an initramfs: directories and regular
 * files, owned by root, then the trailer. Appended to another initramfs, its files replace those of
 * the same name (Linux unpacks concatenated archives in order).
 */
final class Cpio {
    private static final int DIRECTORY = 0040000;
    private static final int REGULAR = 0100000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int inode = 1;

    /**
     * Adds a directory.
     *
     * @param name its path without a leading slash, e.g. "jvmm"
     * @return this
     */
    Cpio directory(String name) {
        entry(name, DIRECTORY | 0755, new byte[0]);
        return this;
    }

    /**
     * Adds a regular file.
     *
     * @param name its path without a leading slash
     * @param mode permission bits, e.g. 0755
     * @param data its contents
     * @return this
     */
    Cpio file(String name, int mode, byte[] data) {
        entry(name, REGULAR | (mode & 07777), data);
        return this;
    }

    /** {@return the archive, with its trailer} */
    byte[] finish() {
        entry("TRAILER!!!", 0, new byte[0]);
        return out.toByteArray();
    }

    private void entry(String name, int mode, byte[] data) {
        byte[] path = (name + "\0").getBytes(StandardCharsets.UTF_8);
        int links = (mode & DIRECTORY) != 0 ? 2 : 1;
        StringBuilder header = new StringBuilder("070701");
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
        for (long field : new long[] {name.equals("TRAILER!!!") ? 0 : inode++, mode, 0, 0, links, 0, data.length, 0, 0, 0,
            0, path.length, 0}) {
            header.append(String.format("%08x", field));
        }
        out.writeBytes(header.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(path);
        pad();
        out.writeBytes(data);
        pad();
    }

    /** Header plus name, and data, each end on a 4-byte boundary. */
    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
