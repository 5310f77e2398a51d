package org.jvmm.core.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jvmm.core.kvm.SegmentRegister;

/**
 * The Multiboot information block jvmm hands a kernel, as one contiguous range of guest memory: the
 * information structure itself, then the boot GDT, the memory map, the module list and the strings
 * they point to. Pure encoding: {@link #encode} lays it out for a given base address.
 *
 * <p>The structure's flags are always {@link #FLAGS}: mem_lower/mem_upper, the command line (present
 * even when empty, since kernels such as kvm-unit-tests read it unconditionally), the module list (also
 * when empty), the memory map and the boot loader name.
 *
 * @param map     the guest's memory map, given to the kernel entry by entry
 * @param cmdline the command line, printable ASCII
 * @param modules the loaded modules
 */
public record MultibootInfo(E820Map map, String cmdline, List<MultibootLayout.Module> modules) {

    /** The value of EAX at entry that tells the kernel a Multiboot loader started it. */
    public static final int BOOTLOADER_MAGIC = 0x2BAD_B002;
    /** Flag 0: mem_lower and mem_upper are valid. */
    public static final int FLAG_MEMORY = 1;
    /** Flag 2: cmdline is valid. */
    public static final int FLAG_CMDLINE = 1 << 2;
    /** Flag 3: mods_count and mods_addr are valid. */
    public static final int FLAG_MODULES = 1 << 3;
    /** Flag 6: mmap_length and mmap_addr are valid. */
    public static final int FLAG_MEMORY_MAP = 1 << 6;
    /** Flag 9: boot_loader_name is valid. */
    public static final int FLAG_LOADER_NAME = 1 << 9;
    /** The flags jvmm sets. */
    public static final int FLAGS = FLAG_MEMORY | FLAG_CMDLINE | FLAG_MODULES | FLAG_MEMORY_MAP | FLAG_LOADER_NAME;
    /** What boot_loader_name points to. */
    public static final String LOADER_NAME = "jvmm";

    /** Offset of flags in the structure. */
    public static final int FLAGS_OFFSET = 0;
    /** Offset of mem_lower (KiB of RAM from 0). */
    public static final int MEM_LOWER = 4;
    /** Offset of mem_upper (KiB of RAM from 1 MiB to the first hole). */
    public static final int MEM_UPPER = 8;
    /** Offset of cmdline. */
    public static final int CMDLINE = 16;
    /** Offset of mods_count. */
    public static final int MODS_COUNT = 20;
    /** Offset of mods_addr. */
    public static final int MODS_ADDR = 24;
    /** Offset of mmap_length. */
    public static final int MMAP_LENGTH = 44;
    /** Offset of mmap_addr. */
    public static final int MMAP_ADDR = 48;
    /** Offset of boot_loader_name. */
    public static final int LOADER_NAME_OFFSET = 64;
    /** Bytes of the structure up to and including the framebuffer fields (all zero but those above). */
    public static final int STRUCTURE_SIZE = 116;
    /** Offset of the GDT in the block, 8-byte aligned after the structure. */
    public static final int GDT_OFFSET = 120;
    /** Bytes of the GDT: null, code, data. */
    public static final int GDT_SIZE = 3 * 8;
    /** Bytes of one memory map entry: its size field (20, not counting itself), base, length, type. */
    public static final int MMAP_ENTRY_SIZE = 24;
    /** Bytes of one module list entry: mod_start, mod_end, string, reserved. */
    public static final int MODULE_ENTRY_SIZE = 16;

    private static final int MMAP_OFFSET = GDT_OFFSET + GDT_SIZE;
    private static final long KIB = 1024;
    private static final int CODE_TYPE = 0xb;
    private static final int DATA_TYPE = 0x3;

    /**
     * Copies the module list.
     *
     * @param map     the memory map
     * @param cmdline the command line
     * @param modules the modules
     */
    public MultibootInfo {
        modules = List.copyOf(modules);
    }

    /** {@return the size of the whole block in bytes} */
    public int size() {
        int size = stringsOffset() + ascii(cmdline).length + 1 + LOADER_NAME.length() + 1;
        for (MultibootLayout.Module m : modules) {
            size += ascii(m.string()).length + 1;
        }
        return size;
    }

    /** {@return KiB of RAM from address 0 up to the first hole, what mem_lower says (at most 640)} */
    public long memLowerKib() {
        for (E820Map.Entry e : map.entries()) {
            if (e.type() == E820Map.RAM && e.address() == 0) {
                return Math.min(e.size(), E820Map.EBDA_START) / KIB;
            }
        }
        return 0;
    }

    /** {@return KiB of RAM from 1 MiB up to the first hole, what mem_upper says} */
    public long memUpperKib() {
        for (E820Map.Entry e : map.entries()) {
            if (e.type() == E820Map.RAM && e.address() <= E820Map.HIGH_MEMORY && e.address() + e.size() > E820Map.HIGH_MEMORY) {
                return Math.min((e.address() + e.size() - E820Map.HIGH_MEMORY) / KIB, 0xffff_ffffL);
            }
        }
        return 0;
    }

    /**
     * Lays the block out at {@code base}.
     *
     * @param base where the block goes; the structure is at {@code base}, the GDT at {@code base +}
     *             {@link #GDT_OFFSET}; the block must end below 4 GiB
     * @return the block's bytes, {@link #size()} of them
     */
    public byte[] encode(long base) {
        if (base < 0 || base + size() > MultibootKernel.FOUR_GIB) {
            throw new IllegalArgumentException("information block at 0x" + Long.toHexString(base));
        }
        ByteBuffer b = ByteBuffer.allocate(size()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(FLAGS_OFFSET, FLAGS);
        b.putInt(MEM_LOWER, (int) memLowerKib());
        b.putInt(MEM_UPPER, (int) memUpperKib());

        b.putLong(GDT_OFFSET + 8, SegmentRegister.flat(MultibootBoot.CODE_SELECTOR, CODE_TYPE, 0, false).toDescriptor());
        b.putLong(GDT_OFFSET + 16, SegmentRegister.flat(MultibootBoot.DATA_SELECTOR, DATA_TYPE, 0, false).toDescriptor());

        int at = MMAP_OFFSET;
        for (E820Map.Entry e : map.entries()) {
            b.putInt(at, MMAP_ENTRY_SIZE - 4);
            b.putLong(at + 4, e.address());
            b.putLong(at + 12, e.size());
            b.putInt(at + 20, e.type());
            at += MMAP_ENTRY_SIZE;
        }
        b.putInt(MMAP_LENGTH, at - MMAP_OFFSET);
        b.putInt(MMAP_ADDR, (int) (base + MMAP_OFFSET));

        int modulesAt = at;
        int strings = stringsOffset();
        b.putInt(CMDLINE, (int) (base + strings));
        strings = putString(b, strings, cmdline);
        b.putInt(LOADER_NAME_OFFSET, (int) (base + strings));
        strings = putString(b, strings, LOADER_NAME);
        for (MultibootLayout.Module m : modules) {
            b.putInt(at, (int) m.start());
            b.putInt(at + 4, (int) m.end());
            b.putInt(at + 8, (int) (base + strings));
            strings = putString(b, strings, m.string());
            at += MODULE_ENTRY_SIZE;
        }
        b.putInt(MODS_COUNT, modules.size());
        b.putInt(MODS_ADDR, modules.isEmpty() ? 0 : (int) (base + modulesAt));
        return b.array();
    }

    private int stringsOffset() {
        return MMAP_OFFSET + map.entries().size() * MMAP_ENTRY_SIZE + modules.size() * MODULE_ENTRY_SIZE;
    }

    private static int putString(ByteBuffer b, int at, String s) {
        byte[] bytes = ascii(s);
        b.put(at, bytes);
        return at + bytes.length + 1;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
