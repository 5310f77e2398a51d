package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jvmm.core.memory.GuestMemory;

/**
 * An uncompressed ELF {@code vmlinux}: its PT_LOAD segments go to their physical addresses, and the
 * 64-bit entry is the ELF entry point. x86 vmlinux links {@code ENTRY(phys_startup_64)}, so the entry
 * is already physical; an entry that only falls inside a segment's virtual range is translated to
 * physical through that segment.
 *
 * @param segments the PT_LOAD segments, in file order
 * @param entry    the guest-physical 64-bit entry point
 * @param image    the whole file (a heap copy, or the file mapped read-only)
 */
public record ElfKernel(List<Segment> segments, long entry, MemorySegment image) implements KernelImage {

    private static final int PT_LOAD = 1;
    private static final int EM_X86_64 = 62;
    private static final int ET_EXEC = 2;
    private static final int ELF_HEADER_SIZE = 64;
    private static final int PHDR_SIZE = 56;

    /**
     * One PT_LOAD segment.
     *
     * @param fileOffset     where its bytes start in the file
     * @param virtualAddress p_vaddr
     * @param physicalAddress p_paddr, where jvmm loads it
     * @param fileSize       bytes taken from the file
     * @param memorySize     bytes it occupies; the rest after fileSize is zeroed
     */
    public record Segment(long fileOffset, long virtualAddress, long physicalAddress, long fileSize, long memorySize) {}

    /**
     * Copies the segment list.
     *
     * @param segments the PT_LOAD segments
     * @param entry    the physical entry
     * @param image    the file
     */
    public ElfKernel {
        segments = List.copyOf(segments);
    }

    /**
     * Parses and validates an ELF64 kernel.
     *
     * @param image the file's bytes
     * @return the kernel
     * @throws BootException BAD_MAGIC, BAD_ELF, TRUNCATED_IMAGE, NO_LOADABLE_SEGMENTS or OVERFLOW
     */
    public static ElfKernel parse(byte[] image) {
        return parse(MemorySegment.ofArray(image));
    }

    /**
     * Parses and validates an ELF64 kernel in memory (a mapped file: only its headers are read).
     *
     * @param image the file's bytes
     * @return the kernel, which refers to {@code image} for its segments' bytes
     * @throws BootException BAD_MAGIC, BAD_ELF, TRUNCATED_IMAGE, NO_LOADABLE_SEGMENTS, OVERFLOW or IMAGE_TOO_LARGE
     */
    public static ElfKernel parse(MemorySegment image) {
        if (!ImageBytes.isElf(image)) {
            throw new BootException(BootError.BAD_MAGIC, "no ELF magic");
        }
        if (image.byteSize() < ELF_HEADER_SIZE) {
            throw new BootException(BootError.TRUNCATED_IMAGE, image.byteSize() + " bytes, an ELF64 header needs 64");
        }
        ByteBuffer b = ImageBytes.littleEndian(image);
        if (b.get(4) != 2 || b.get(5) != 1 || b.getShort(0x12) != EM_X86_64 || b.getShort(0x10) != ET_EXEC) {
            throw new BootException(BootError.BAD_ELF, String.format("class %d, data %d, type %d, machine %d "
                    + "(want 2, 1, 2 EXEC, 62 x86-64)", b.get(4), b.get(5), b.getShort(0x10), b.getShort(0x12)));
        }
        long phoff = b.getLong(0x20);
        int phentsize = Short.toUnsignedInt(b.getShort(0x36));
        int phnum = Short.toUnsignedInt(b.getShort(0x38));
        if (phentsize != PHDR_SIZE) {
            throw new BootException(BootError.BAD_ELF, "program header size " + phentsize + ", want 56");
        }
        long tableEnd = Checked.add(phoff, (long) phnum * PHDR_SIZE, "program header table end");
        if (tableEnd > image.byteSize()) {
            throw new BootException(BootError.TRUNCATED_IMAGE,
                    "the program headers end at " + tableEnd + ", the file has " + image.byteSize() + " bytes");
        }
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int p = (int) (phoff + (long) i * PHDR_SIZE);
            if (b.getInt(p) != PT_LOAD) {
                continue;
            }
            Segment s = new Segment(b.getLong(p + 8), b.getLong(p + 16), b.getLong(p + 24), b.getLong(p + 32), b.getLong(p + 40));
            if (Checked.add(s.fileOffset(), s.fileSize(), "segment " + i + " file end") > image.byteSize()) {
                throw new BootException(BootError.TRUNCATED_IMAGE, String.format(
                        "segment %d ends at file offset %d, the file has %d bytes", i, s.fileOffset() + s.fileSize(), image.byteSize()));
            }
            if (Long.compareUnsigned(s.fileSize(), s.memorySize()) > 0) {
                throw new BootException(BootError.BAD_ELF, "segment " + i + " has p_filesz > p_memsz");
            }
            Checked.add(s.physicalAddress(), s.memorySize(), "segment " + i + " physical end");
            segments.add(s);
        }
        if (segments.isEmpty()) {
            throw new BootException(BootError.NO_LOADABLE_SEGMENTS, phnum + " program headers, none PT_LOAD");
        }
        return new ElfKernel(segments, physicalEntry(b.getLong(0x18), segments), image);
    }

    private static long physicalEntry(long entry, List<Segment> segments) {
        for (Segment s : segments) {
            if (Long.compareUnsigned(entry - s.physicalAddress(), s.memorySize()) < 0) {
                return entry;
            }
        }
        for (Segment s : segments) {
            long offset = entry - s.virtualAddress();
            if (Long.compareUnsigned(offset, s.memorySize()) < 0) {
                return s.physicalAddress() + offset;
            }
        }
        throw new BootException(BootError.BAD_ELF, "entry point 0x" + Long.toHexString(entry) + " lies in no PT_LOAD segment");
    }

    @Override
    public LoadedKernel load(GuestMemory memory) {
        long start = Long.MAX_VALUE;
        long end = 0;
        for (Segment s : segments) {
            if (!memory.isValid(s.physicalAddress(), s.memorySize())) {
                throw new BootException(BootError.KERNEL_OUTSIDE_RAM, String.format(
                        "a segment needs [0x%x, 0x%x)", s.physicalAddress(), s.physicalAddress() + s.memorySize()));
            }
        }
        for (Segment s : segments) {
            // One slice for the whole segment: a BSS lookup of its own would fail for an empty BSS at the end of RAM.
            MemorySegment target = memory.slice(s.physicalAddress(), s.memorySize());
            MemorySegment.copy(image, s.fileOffset(), target, 0, s.fileSize());
            target.asSlice(s.fileSize()).fill((byte) 0);
            start = Math.min(start, s.physicalAddress());
            end = Math.max(end, s.physicalAddress() + s.memorySize());
        }
        return new LoadedKernel(start, end, entry, Optional.empty());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ElfKernel e && segments.equals(e.segments) && entry == e.entry;
    }

    @Override
    public int hashCode() {
        return segments.hashCode() * 31 + Long.hashCode(entry);
    }

    @Override
    public String toString() {
        return "ElfKernel[entry 0x" + Long.toHexString(entry) + ", " + segments.size() + " PT_LOAD segments]";
    }
}
