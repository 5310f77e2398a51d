package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.memory.GuestMemory;

/**
 * A parsed, validated Multiboot (version 1) kernel: what to load where, and where to enter. The header's
 * address fields (flag 16) take precedence, as the specification says; without them the file must be a
 * 32-bit x86 ELF executable whose PT_LOAD segments go to their physical addresses (kvm-unit-tests'
 * {@code .flat} files are such ELF32 images). Everything lies below 4 GiB: the kernel starts with
 * paging off.
 *
 * @param header   the Multiboot header
 * @param segments what to load, in file order; none is empty
 * @param entry    the physical entry point, inside a segment
 * @param image    the whole file
 */
public record MultibootKernel(MultibootHeader header, List<Segment> segments, long entry, MemorySegment image) {

    /** The first address a 32-bit kernel without paging cannot reach. */
    public static final long FOUR_GIB = 1L << 32;

    private static final int ELF32_HEADER_SIZE = 52;
    private static final int ELF32_PHDR_SIZE = 32;
    private static final int EM_386 = 3;
    private static final int ET_EXEC = 2;
    private static final int PT_LOAD = 1;

    /**
     * One range to load.
     *
     * @param fileOffset where its bytes start in the file
     * @param address    the physical address it is loaded to
     * @param fileSize   bytes taken from the file
     * @param memorySize bytes it occupies, at least {@code fileSize}; the rest is zeroed
     */
    public record Segment(long fileOffset, long address, long fileSize, long memorySize) {
        /** {@return the first address after the segment} */
        public long end() {
            return address + memorySize;
        }
    }

    /**
     * Copies the segment list.
     *
     * @param header   the header
     * @param segments the segments
     * @param entry    the entry point
     * @param image    the file
     */
    public MultibootKernel {
        segments = List.copyOf(segments);
    }

    /**
     * Parses and validates a Multiboot kernel.
     *
     * @param image the file's bytes
     * @return the kernel
     * @throws BootException BAD_MAGIC (no header), MULTIBOOT_BAD_CHECKSUM, MULTIBOOT_UNSUPPORTED_FLAGS,
     *                       MULTIBOOT_BAD_ADDRESSES, MULTIBOOT_BAD_ELF, NO_LOADABLE_SEGMENTS,
     *                       TRUNCATED_IMAGE or OVERFLOW (something reaches past 4 GiB)
     */
    public static MultibootKernel parse(byte[] image) {
        return parse(MemorySegment.ofArray(image));
    }

    /**
     * Parses a Multiboot kernel in memory (a mapped file: only its headers are read until it is loaded).
     *
     * @param image the file's bytes
     * @return the kernel, which refers to {@code image} for its segments' bytes
     * @throws BootException as {@link #parse(byte[])}, and IMAGE_TOO_LARGE
     */
    public static MultibootKernel parse(MemorySegment image) {
        MultibootHeader header = MultibootHeader.find(image).orElseThrow(() -> new BootException(BootError.BAD_MAGIC,
                "no multiboot header (magic 0x1BADB002, 4-byte aligned) in the first " + MultibootHeader.SEARCH_LIMIT + " bytes"));
        if (header.unsupportedRequiredFlags() != 0) {
            throw new BootException(BootError.MULTIBOOT_UNSUPPORTED_FLAGS, String.format(
                    "flags 0x%08x: required bits 0x%04x (bit 2 asks for a video mode, bits 3-15 are undefined)",
                    header.flags(), header.unsupportedRequiredFlags()));
        }
        return header.hasAddressFields() ? fromAddressFields(header, image) : fromElf(header, image);
    }

    /** The a.out kludge: one range from the file, then a BSS, all placed by the header. */
    private static MultibootKernel fromAddressFields(MultibootHeader h, MemorySegment image) {
        if (h.loadAddr() > h.headerAddr()) {
            throw badAddresses(String.format("load_addr 0x%x is above header_addr 0x%x", h.loadAddr(), h.headerAddr()));
        }
        long fileStart = h.offset() - (h.headerAddr() - h.loadAddr());
        if (fileStart < 0) {
            throw badAddresses(String.format("header_addr - load_addr = 0x%x puts the load start before the file's first byte "
                    + "(the header is at offset %d)", h.headerAddr() - h.loadAddr(), h.offset()));
        }
        long loadEnd = h.loadEndAddr() == 0 ? h.loadAddr() + (image.byteSize() - fileStart) : h.loadEndAddr();
        if (loadEnd < h.loadAddr()) {
            throw badAddresses(String.format("load_end_addr 0x%x is below load_addr 0x%x", loadEnd, h.loadAddr()));
        }
        long fileSize = loadEnd - h.loadAddr();
        if (fileStart + fileSize > image.byteSize()) {
            throw new BootException(BootError.TRUNCATED_IMAGE, String.format(
                    "the header asks for %d bytes from offset %d, the file has %d", fileSize, fileStart, image.byteSize()));
        }
        long end = h.bssEndAddr() == 0 ? loadEnd : h.bssEndAddr();
        if (end < loadEnd) {
            throw badAddresses(String.format("bss_end_addr 0x%x is below load_end_addr 0x%x", end, loadEnd));
        }
        below4GiB(end, "the kernel's end");
        if (h.entryAddr() < h.loadAddr() || h.entryAddr() >= end) {
            throw badAddresses(String.format("entry_addr 0x%x lies outside the loaded [0x%x, 0x%x)", h.entryAddr(), h.loadAddr(), end));
        }
        return new MultibootKernel(h, List.of(new Segment(fileStart, h.loadAddr(), fileSize, end - h.loadAddr())), h.entryAddr(), image);
    }

    /** A 32-bit x86 ELF executable: its PT_LOAD segments at their physical addresses. */
    private static MultibootKernel fromElf(MultibootHeader h, MemorySegment image) {
        if (!ImageBytes.isElf(image)) {
            throw new BootException(BootError.MULTIBOOT_BAD_ELF, "no ELF magic, and flag 16 (address fields) is clear");
        }
        if (image.byteSize() < ELF32_HEADER_SIZE) {
            throw new BootException(BootError.TRUNCATED_IMAGE, image.byteSize() + " bytes, an ELF32 header needs 52");
        }
        ByteBuffer b = ImageBytes.littleEndian(image);
        if (ImageBytes.at(image, 4) != 1 || ImageBytes.at(image, 5) != 1 || b.getShort(0x10) != ET_EXEC || b.getShort(0x12) != EM_386) {
            throw new BootException(BootError.MULTIBOOT_BAD_ELF, String.format("class %d, data %d, type %d, machine %d "
                    + "(want 1 ELF32, 1 little-endian, 2 EXEC, 3 i386)", ImageBytes.at(image, 4), ImageBytes.at(image, 5), b.getShort(0x10), b.getShort(0x12)));
        }
        long phoff = Integer.toUnsignedLong(b.getInt(0x1c));
        int phentsize = Short.toUnsignedInt(b.getShort(0x2a));
        int phnum = Short.toUnsignedInt(b.getShort(0x2c));
        if (phentsize != ELF32_PHDR_SIZE) {
            throw new BootException(BootError.MULTIBOOT_BAD_ELF, "program header size " + phentsize + ", want 32");
        }
        long tableEnd = phoff + (long) phnum * ELF32_PHDR_SIZE;
        if (tableEnd > image.byteSize()) {
            throw new BootException(BootError.TRUNCATED_IMAGE,
                    "the program headers end at " + tableEnd + ", the file has " + image.byteSize() + " bytes");
        }
        List<Segment> segments = new ArrayList<>();
        List<Long> virtualAddresses = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int p = (int) (phoff + (long) i * ELF32_PHDR_SIZE);
            if (b.getInt(p) != PT_LOAD) {
                continue;
            }
            Segment s = new Segment(u32(b, p + 4), u32(b, p + 12), u32(b, p + 16), u32(b, p + 20));
            if (s.fileOffset() + s.fileSize() > image.byteSize()) {
                throw new BootException(BootError.TRUNCATED_IMAGE, String.format(
                        "segment %d ends at file offset %d, the file has %d bytes", i, s.fileOffset() + s.fileSize(), image.byteSize()));
            }
            if (s.fileSize() > s.memorySize()) {
                throw new BootException(BootError.MULTIBOOT_BAD_ELF, "segment " + i + " has p_filesz > p_memsz");
            }
            below4GiB(s.end(), "segment " + i + "'s end");
            if (s.memorySize() > 0) {
                segments.add(s);
                virtualAddresses.add(u32(b, p + 8));
            }
        }
        if (segments.isEmpty()) {
            throw new BootException(BootError.NO_LOADABLE_SEGMENTS, phnum + " program headers, no non-empty PT_LOAD");
        }
        return new MultibootKernel(h, segments, physicalEntry(u32(b, 0x18), segments, virtualAddresses), image);
    }

    /** The ELF entry if a segment's physical range holds it, else translated through a segment's virtual range. */
    private static long physicalEntry(long entry, List<Segment> segments, List<Long> virtualAddresses) {
        for (Segment s : segments) {
            if (entry >= s.address() && entry < s.end()) {
                return entry;
            }
        }
        for (int i = 0; i < segments.size(); i++) {
            long offset = entry - virtualAddresses.get(i);
            if (offset >= 0 && offset < segments.get(i).memorySize()) {
                return segments.get(i).address() + offset;
            }
        }
        throw new BootException(BootError.MULTIBOOT_BAD_ELF, "entry point 0x" + Long.toHexString(entry) + " lies in no PT_LOAD segment");
    }

    /** {@return the lowest address a segment occupies} */
    public long start() {
        return segments.stream().mapToLong(Segment::address).min().orElseThrow();
    }

    /** {@return the first address after the highest segment} */
    public long end() {
        return segments.stream().mapToLong(Segment::end).max().orElseThrow();
    }

    /**
     * Copies the segments into guest memory and zeroes their BSS. Each segment must lie in usable RAM
     * of the memory map, so that nothing jvmm keeps in reserved areas (the ACPI tables) is overwritten.
     *
     * @param memory guest RAM
     * @param map    the guest's memory map
     * @throws BootException KERNEL_OUTSIDE_RAM
     */
    public void load(GuestMemory memory, E820Map map) {
        for (Segment s : segments) {
            if (!map.isRam(s.address(), s.memorySize()) || !memory.isValid(s.address(), s.memorySize())) {
                throw new BootException(BootError.KERNEL_OUTSIDE_RAM, String.format(
                        "a segment needs [0x%x, 0x%x), which is not usable RAM (RAM below 4 GiB ends at 0x%x)",
                        s.address(), s.end(), map.ramEndBelow4G()));
            }
        }
        for (Segment s : segments) {
            MemorySegment target = memory.slice(s.address(), s.memorySize());
            MemorySegment.copy(image, s.fileOffset(), target, 0, s.fileSize());
            target.asSlice(s.fileSize()).fill((byte) 0);
        }
    }

    private static void below4GiB(long end, String what) {
        if (end > FOUR_GIB) {
            throw new BootException(BootError.OVERFLOW, String.format("%s 0x%x is above 4 GiB, out of a 32-bit kernel's reach", what, end));
        }
    }

    private static BootException badAddresses(String detail) {
        return new BootException(BootError.MULTIBOOT_BAD_ADDRESSES, detail);
    }

    private static long u32(ByteBuffer b, int at) {
        return Integer.toUnsignedLong(b.getInt(at));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MultibootKernel k && header.equals(k.header) && segments.equals(k.segments) && entry == k.entry;
    }

    @Override
    public int hashCode() {
        return segments.hashCode() * 31 + Long.hashCode(entry);
    }

    @Override
    public String toString() {
        return "MultibootKernel[entry 0x" + Long.toHexString(entry) + ", " + segments.size() + " segments, flags 0x"
                + Integer.toHexString(header.flags()) + "]";
    }
}
