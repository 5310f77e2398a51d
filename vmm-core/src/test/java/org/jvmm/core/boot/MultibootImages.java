package org.jvmm.core.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Multiboot kernels built in the test, byte by byte: ELF32 executables and a.out-kludge images. */
final class MultibootImages {

    /** Where {@link #elf} puts the Multiboot header: right after the ELF header and program headers. */
    static final int ELF_HEADER_AREA = 0x100;

    private MultibootImages() {}

    /** One PT_LOAD segment of {@link #elf}. */
    record Load(long vaddr, long paddr, byte[] data, long memsz) {}

    /**
     * An i386 ELF32 executable with the given PT_LOAD segments (and a PT_NOTE before them), a Multiboot
     * header with {@code flags} at {@link #ELF_HEADER_AREA}, and the segments' bytes after it.
     */
    static byte[] elf(int flags, long entry, List<Load> loads) {
        int phnum = loads.size() + 1;
        int total = ELF_HEADER_AREA + 16;
        for (Load l : loads) {
            total += l.data().length;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1});
        b.putShort(0x10, (short) 2);
        b.putShort(0x12, (short) 3);
        b.putInt(0x14, 1);
        b.putInt(0x18, (int) entry);
        b.putInt(0x1c, 52);
        b.putShort(0x28, (short) 52);
        b.putShort(0x2a, (short) 32);
        b.putShort(0x2c, (short) phnum);
        b.putInt(52, 4); // PT_NOTE, ignored
        header(b, ELF_HEADER_AREA, flags);
        int offset = ELF_HEADER_AREA + 16;
        for (int i = 0; i < loads.size(); i++) {
            Load l = loads.get(i);
            int p = 52 + 32 * (i + 1);
            b.putInt(p, 1);
            b.putInt(p + 4, offset);
            b.putInt(p + 8, (int) l.vaddr());
            b.putInt(p + 12, (int) l.paddr());
            b.putInt(p + 16, l.data().length);
            b.putInt(p + 20, (int) l.memsz());
            b.putInt(p + 24, 7);
            b.putInt(p + 28, 0x1000);
            b.put(offset, l.data());
            offset += l.data().length;
        }
        return b.array();
    }

    /** A valid ELF32 kernel: code at 1 MiB (entry at its start), data with a BSS at 1 MiB + 64 KiB. */
    static byte[] elf() {
        return elf(0, 0x10_0000, List.of(
                new Load(0x10_0000, 0x10_0000, TestImages.pattern(0x300, 1), 0x300),
                new Load(0x11_0000, 0x11_0000, TestImages.pattern(0x80, 2), 0x2000)));
    }

    /**
     * An a.out-kludge image (flag 16): {@code headerOffset} bytes of pattern, the header, then more pattern
     * up to {@code length}; the header's address fields as given.
     */
    static byte[] aout(int headerOffset, int length, long headerAddr, long loadAddr, long loadEndAddr, long bssEndAddr, long entryAddr) {
        byte[] image = TestImages.pattern(length, 5);
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        header(b, headerOffset, MultibootHeader.FLAG_ADDRESSES);
        b.putInt(headerOffset + 12, (int) headerAddr);
        b.putInt(headerOffset + 16, (int) loadAddr);
        b.putInt(headerOffset + 20, (int) loadEndAddr);
        b.putInt(headerOffset + 24, (int) bssEndAddr);
        b.putInt(headerOffset + 28, (int) entryAddr);
        return image;
    }

    /** Writes a Multiboot header's magic, flags and a matching checksum. */
    static void header(ByteBuffer b, int at, int flags) {
        b.putInt(at, MultibootHeader.MAGIC);
        b.putInt(at + 4, flags);
        b.putInt(at + 8, -(MultibootHeader.MAGIC + flags));
    }
}
