package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The header that makes a file a Multiboot (version 1) kernel: 32-bit aligned and wholly inside the
 * first {@value #SEARCH_LIMIT} bytes, the magic {@code 0x1BADB002}, the flags, and a checksum that
 * makes magic + flags + checksum 0 modulo 2^32. With {@link #FLAG_ADDRESSES} (the "a.out kludge") five
 * address fields follow, which say where to load the file and where to enter it, in place of an ELF
 * header. All values are unsigned 32-bit numbers, held in longs.
 *
 * @param offset      where the header starts in the file
 * @param flags       the flags word: bits 0-15 are requirements, 16-31 optional features
 * @param headerAddr  with flag 16: the physical address the header's magic is loaded to, else 0
 * @param loadAddr    with flag 16: where the text segment (the file from {@code offset - (headerAddr -
 *                    loadAddr)} on) is loaded, else 0
 * @param loadEndAddr with flag 16: the end of the data loaded from the file, 0 for "to the end of the file"
 * @param bssEndAddr  with flag 16: the end of the BSS to zero after it, 0 for none
 * @param entryAddr   with flag 16: the entry point, else 0
 */
public record MultibootHeader(int offset, int flags, long headerAddr, long loadAddr, long loadEndAddr,
                              long bssEndAddr, long entryAddr) {

    /** The header magic. */
    public static final int MAGIC = 0x1BAD_B002;
    /** The header must lie wholly within the file's first 8192 bytes. */
    public static final int SEARCH_LIMIT = 8192;
    /** Flag 0: modules are loaded page aligned (jvmm always does). */
    public static final int FLAG_PAGE_ALIGN = 1;
    /** Flag 1: the information structure must carry the memory fields (jvmm always sets them). */
    public static final int FLAG_MEMORY_INFO = 1 << 1;
    /** Flag 2: the kernel requires a video mode; jvmm has no display, so it refuses such a kernel. */
    public static final int FLAG_VIDEO_MODE = 1 << 2;
    /** Flag 16: the address fields are valid and are used instead of the executable's own headers. */
    public static final int FLAG_ADDRESSES = 1 << 16;
    /** The required flags (0-15) jvmm can honour. */
    public static final int SUPPORTED_REQUIRED_FLAGS = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO;
    /** Bytes of the header without address fields: magic, flags, checksum. */
    public static final int SIZE = 12;
    /** Bytes of the header with the five address fields of flag 16. */
    public static final int SIZE_WITH_ADDRESSES = 32;

    /**
     * Finds and decodes the header. A magic whose checksum does not match is skipped, as boot loaders
     * do, in case a valid header follows; only if none does is the bad one reported.
     *
     * @param image the file's bytes
     * @return the first valid header, or empty if the file has no Multiboot magic where one may be
     * @throws BootException MULTIBOOT_BAD_CHECKSUM if the only magics found have a bad checksum;
     *                       TRUNCATED_IMAGE if the file ends inside the header; MULTIBOOT_BAD_ADDRESSES if
     *                       flag 16's fields reach past the first 8192 bytes
     */
    public static Optional<MultibootHeader> find(byte[] image) {
        return find(MemorySegment.ofArray(image));
    }

    /**
     * Finds and decodes the header in a file in memory (a mapped file: only its first 8192 bytes are read).
     *
     * @param image the file's bytes
     * @return the first valid header, or empty if the file has no Multiboot magic where one may be
     * @throws BootException as {@link #find(byte[])}, and IMAGE_TOO_LARGE
     */
    public static Optional<MultibootHeader> find(MemorySegment image) {
        ByteBuffer b = ImageBytes.littleEndian(image);
        int badChecksumAt = -1;
        for (int at = 0; at + SIZE <= SEARCH_LIMIT && at + 4 <= image.byteSize(); at += 4) {
            if (b.getInt(at) != MAGIC) {
                continue;
            }
            if (at + SIZE > image.byteSize()) {
                throw new BootException(BootError.TRUNCATED_IMAGE, String.format(
                        "a multiboot magic at offset %d, the file ends at %d inside the header", at, image.byteSize()));
            }
            int flags = b.getInt(at + 4);
            if (MAGIC + flags + b.getInt(at + 8) != 0) {
                if (badChecksumAt < 0) {
                    badChecksumAt = at;
                }
                continue;
            }
            if ((flags & FLAG_ADDRESSES) == 0) {
                return Optional.of(new MultibootHeader(at, flags, 0, 0, 0, 0, 0));
            }
            if (at + SIZE_WITH_ADDRESSES > SEARCH_LIMIT) {
                throw new BootException(BootError.MULTIBOOT_BAD_ADDRESSES, String.format(
                        "the header at offset %d ends at %d, past the first %d bytes", at, at + SIZE_WITH_ADDRESSES, SEARCH_LIMIT));
            }
            if (at + SIZE_WITH_ADDRESSES > image.byteSize()) {
                throw new BootException(BootError.TRUNCATED_IMAGE, String.format(
                        "the multiboot address fields at offset %d end at %d, the file has %d bytes",
                        at + SIZE, at + SIZE_WITH_ADDRESSES, image.byteSize()));
            }
            return Optional.of(new MultibootHeader(at, flags, u32(b, at + 12), u32(b, at + 16), u32(b, at + 20),
                    u32(b, at + 24), u32(b, at + 28)));
        }
        if (badChecksumAt >= 0) {
            throw new BootException(BootError.MULTIBOOT_BAD_CHECKSUM, String.format("magic at offset %d, flags 0x%08x, checksum 0x%08x",
                    badChecksumAt, b.getInt(badChecksumAt + 4), b.getInt(badChecksumAt + 8)));
        }
        return Optional.empty();
    }

    /** {@return whether flag 16 is set: load by the address fields, not by the executable's headers} */
    public boolean hasAddressFields() {
        return (flags & FLAG_ADDRESSES) != 0;
    }

    /** {@return the required flags (bits 0-15) jvmm cannot honour; 0 for a kernel it can boot} */
    public int unsupportedRequiredFlags() {
        return flags & 0xffff & ~SUPPORTED_REQUIRED_FLAGS;
    }

    private static long u32(ByteBuffer b, int at) {
        return Integer.toUnsignedLong(b.getInt(at));
    }
}
