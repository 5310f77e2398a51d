package org.jvmm.core.boot;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;

/** Kernel images and guest memory built in the test, byte by byte, as the boot protocol lays them out. */
final class TestImages {

    static final int SETUP_SECTS = 2;
    static final int PM_SIZE = 0x3000;
    static final long INIT_SIZE = 0x80_0000;
    static final long INITRD_ADDR_MAX = 0x3fff_ffffL;
    static final int CMDLINE_SIZE = 255;

    private TestImages() {}

    /** A bzImage with protocol 2.15, XLF_KERNEL_64, a 0x3000-byte protected-mode part filled with a pattern. */
    static byte[] bzImage() {
        int realMode = (SETUP_SECTS + 1) * 512;
        ByteBuffer b = ByteBuffer.allocate(realMode + PM_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) SETUP_SECTS);
        b.putInt(0x1f4, PM_SIZE / 16);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x200, (byte) 0xeb);
        b.put(0x201, (byte) 0x6a); // jmp over the header, which ends at 0x26c
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) 0x020f);
        b.put(0x211, (byte) 0x01);
        b.putInt(0x214, 0x100000);
        b.putInt(0x22c, (int) INITRD_ADDR_MAX);
        b.putInt(0x230, 0x20_0000);
        b.putShort(0x236, (short) 0x3);
        b.putInt(0x238, CMDLINE_SIZE);
        b.putInt(0x248, 0x100);
        b.putInt(0x24c, 0x2000);
        b.putLong(0x258, 0x100_0000);
        b.putInt(0x260, (int) INIT_SIZE);
        for (int i = 0; i < PM_SIZE; i++) {
            b.put(realMode + i, (byte) (i * 7 + 3));
        }
        return b.array();
    }

    /** One PT_LOAD segment of {@link #elf}. */
    record Load(long vaddr, long paddr, byte[] data, long memsz) {}

    /** An x86-64 ELF64 executable with the given PT_LOAD segments and a PT_NOTE before them. */
    static byte[] elf(long entry, List<Load> loads) {
        int phnum = loads.size() + 1;
        int dataStart = 64 + 56 * phnum;
        int total = dataStart;
        for (Load l : loads) {
            total += l.data().length;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(0x10, (short) 2);
        b.putShort(0x12, (short) 62);
        b.putInt(0x14, 1);
        b.putLong(0x18, entry);
        b.putLong(0x20, 64);
        b.putShort(0x34, (short) 64);
        b.putShort(0x36, (short) 56);
        b.putShort(0x38, (short) phnum);
        b.putInt(64, 4); // PT_NOTE, ignored
        int offset = dataStart;
        for (int i = 0; i < loads.size(); i++) {
            Load l = loads.get(i);
            int p = 64 + 56 * (i + 1);
            b.putInt(p, 1);
            b.putInt(p + 4, 5);
            b.putLong(p + 8, offset);
            b.putLong(p + 16, l.vaddr());
            b.putLong(p + 24, l.paddr());
            b.putLong(p + 32, l.data().length);
            b.putLong(p + 40, l.memsz());
            b.putLong(p + 48, 0x1000);
            b.put(offset, l.data());
            offset += l.data().length;
        }
        return b.array();
    }

    static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 13 + seed);
        }
        return bytes;
    }

    /** Guest memory of plain arena segments, one {base, size} pair each. */
    static GuestMemory memory(Arena arena, long[]... regions) {
        List<GuestRegion> list = new ArrayList<>();
        for (long[] r : regions) {
            list.add(new GuestRegion(r[0], arena.allocate(r[1], 4096)));
        }
        return new RegionGuestMemory(list);
    }
}
