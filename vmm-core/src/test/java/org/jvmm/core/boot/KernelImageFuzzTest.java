package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;

/**
 * Fuzzes the kernel image parser and loader with raw bytes and with bzImages and ELF files built
 * from valid templates whose header fields, program headers and lengths the fuzzer overwrites.
 * Parsing returns an image or throws {@link BootException}; a parsed image is self-consistent,
 * loads into guest memory or is refused with KERNEL_OUTSIDE_RAM, puts the file's bytes where it
 * says and zeroes the BSS, and its entry point lies inside what it loaded. The zero page takes its
 * header, and an initrd of any size is placed above it in usable RAM or refused by name. Loading
 * writes nothing outside what the kernel occupies (its segments, or the bzImage's protected-mode
 * part) and a refused load writes nothing at all: both RAM regions start every run filled with a
 * marker byte, and every byte outside those ranges must still hold it afterwards.
 */
class KernelImageFuzzTest {

    /** Low RAM: [0, 3 MiB), room for a small bzImage at 1 MiB. */
    private static final long LOW = 3L << 20;
    /** High RAM after a hole: [4 MiB, 5 MiB), so ELF segments can straddle a region end or fall in the hole. */
    private static final long HIGH_BASE = 4L << 20;
    private static final long HIGH = 1L << 20;
    /** What RAM holds where nothing was loaded: a run restores it where its load wrote. */
    private static final byte FILL = (byte) 0xA5;

    // One guest memory for all runs: allocating and filling 4 MiB per run would dominate.
    private static final MemorySegment LOW_SEGMENT = Arena.global().allocate(LOW, 4096).fill(FILL);
    private static final MemorySegment HIGH_SEGMENT = Arena.global().allocate(HIGH, 4096).fill(FILL);
    private static final RegionGuestMemory MEMORY = new RegionGuestMemory(List.of(
            new GuestRegion(0, LOW_SEGMENT), new GuestRegion(HIGH_BASE, HIGH_SEGMENT)));
    private static final E820Map E820 = E820Map.forRam(MEMORY.regions());
    private static final MemorySegment FILLED = Arena.global().allocate(LOW).fill(FILL);
    private static final MemorySegment ZEROS = Arena.global().allocate(LOW);

    /** bzImage setup header fields: offset and width. */
    private static final int[][] BZ_FIELDS = {
        {0x1f1, 1}, {0x1f4, 4}, {0x1fe, 2}, {0x201, 1}, {0x202, 4}, {0x206, 2}, {0x211, 1}, {0x22c, 4},
        {0x230, 4}, {0x236, 2}, {0x238, 4}, {0x248, 4}, {0x24c, 4}, {0x258, 8}, {0x260, 4},
    };
    /** ELF header fields: ident class and data, type, machine, entry, phoff, phentsize, phnum. */
    private static final int[][] ELF_FIELDS = {{4, 1}, {5, 1}, {0x10, 2}, {0x12, 2}, {0x18, 8}, {0x20, 8}, {0x36, 2}, {0x38, 2}};
    /** Program header fields: type, offset, vaddr, paddr, filesz, memsz. */
    private static final int[][] PHDR_FIELDS = {{0, 4}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 8}};

    @FuzzTest(maxDuration = "30s")
    void parseAndLoad(FuzzedDataProvider data) {
        long initrdSize = data.consumeBoolean() ? data.consumeLong(1, 3L << 20) : data.consumeLong(1, Long.MAX_VALUE);
        byte[] image = switch (data.consumeInt(0, 2)) {
            case 0 -> bzImage(data);
            case 1 -> elf(data);
            default -> data.consumeRemainingAsBytes();
        };
        KernelImage kernel;
        try {
            kernel = KernelImage.parse(image);
        } catch (BootException refused) {
            return;
        }
        switch (kernel) {
            case BzImage bz -> checkParsed(bz, image);
            case ElfKernel elf -> checkParsed(elf, image);
        }
        LoadedKernel loaded;
        try {
            loaded = kernel.load(MEMORY);
        } catch (BootException e) {
            assertEquals(BootError.KERNEL_OUTSIDE_RAM, e.error(), e.getMessage());
            assertUnwrittenOutside(List.of(), "a refused load");
            return;
        }
        List<long[]> occupied = occupied(kernel);
        try {
            checkLoad(kernel, loaded, occupied, initrdSize);
        } finally {
            for (long[] range : occupied) {
                restoreFill(range[0], range[1]);
            }
        }
    }

    private static void checkLoad(KernelImage kernel, LoadedKernel loaded, List<long[]> occupied, long initrdSize) {
        assertUnwrittenOutside(occupied, "loading the kernel");
        assertTrue(loaded.start() <= loaded.entry64() && loaded.entry64() < loaded.end(),
                "entry 0x" + Long.toHexString(loaded.entry64()) + " outside the loaded kernel " + loaded);
        switch (kernel) {
            case BzImage bz -> checkLoaded(bz, loaded);
            case ElfKernel elf -> checkLoaded(elf);
        }
        checkBootParams(loaded, initrdSize);
    }

    private static void checkParsed(BzImage bz, byte[] image) {
        SetupHeader h = bz.header();
        int raw = h.raw().length;
        assertTrue(raw >= SetupHeader.MIN_END - SetupHeader.OFFSET && raw <= SetupHeader.MAX_END - SetupHeader.OFFSET,
                "header of " + raw + " bytes");
        assertTrue(h.realModeSize() <= image.length, "real-mode part past the end");
        assertTrue(bz.protectedModeSize() > BzImage.ENTRY_64_OFFSET,
                "the 64-bit entry at 0x200 lies outside the " + bz.protectedModeSize() + "-byte protected-mode code");
        assertTrue(h.version() >= SetupHeader.MIN_VERSION && (h.xloadflags() & SetupHeader.XLF_KERNEL_64) != 0, h.toString());
    }

    private static void checkParsed(ElfKernel elf, byte[] image) {
        boolean entryInside = false;
        for (ElfKernel.Segment s : elf.segments()) {
            assertTrue(s.fileOffset() >= 0 && s.fileSize() >= 0 && s.fileOffset() + s.fileSize() <= image.length,
                    "segment's file range outside the file: " + s);
            assertTrue(s.physicalAddress() >= 0 && s.memorySize() >= s.fileSize()
                    && s.physicalAddress() + s.memorySize() >= s.physicalAddress(), "segment's memory range: " + s);
            entryInside |= Long.compareUnsigned(elf.entry() - s.physicalAddress(), s.memorySize()) < 0;
        }
        assertTrue(entryInside, "entry 0x" + Long.toHexString(elf.entry()) + " in no segment");
    }

    private static void checkLoaded(BzImage bz, LoadedKernel loaded) {
        long size = bz.protectedModeSize();
        assertEquals(BzImage.LOAD_ADDRESS, loaded.start());
        assertTrue(MEMORY.isValid(loaded.start(), loaded.end() - loaded.start()), "init_size area outside RAM: " + loaded);
        MemorySegment file = bz.image().asSlice(bz.header().realModeSize(), size);
        assertEquals(-1, MEMORY.slice(BzImage.LOAD_ADDRESS, size).mismatch(file), "protected-mode code as loaded");
    }

    private static void checkLoaded(ElfKernel elf) {
        List<ElfKernel.Segment> segments = elf.segments();
        for (int i = 0; i < segments.size(); i++) {
            ElfKernel.Segment s = segments.get(i);
            assertTrue(MEMORY.isValid(s.physicalAddress(), s.memorySize()) || s.memorySize() == 0, "segment outside RAM: " + s);
            if (overwrittenLater(segments, i) || s.memorySize() == 0) {
                continue;
            }
            MemorySegment loaded = MEMORY.slice(s.physicalAddress(), s.memorySize());
            MemorySegment file = elf.image().asSlice(s.fileOffset(), s.fileSize());
            assertEquals(-1, loaded.asSlice(0, s.fileSize()).mismatch(file), "segment bytes: " + s);
            MemorySegment bss = loaded.asSlice(s.fileSize());
            assertEquals(-1, bss.mismatch(ZEROS.asSlice(0, bss.byteSize())), "BSS not zeroed: " + s);
        }
    }

    private static boolean overwrittenLater(List<ElfKernel.Segment> segments, int i) {
        ElfKernel.Segment s = segments.get(i);
        for (int j = i + 1; j < segments.size(); j++) {
            ElfKernel.Segment t = segments.get(j);
            if (t.physicalAddress() < s.physicalAddress() + s.memorySize()
                    && s.physicalAddress() < t.physicalAddress() + t.memorySize()) {
                return true;
            }
        }
        return false;
    }

    private static void checkBootParams(LoadedKernel loaded, long initrdSize) {
        byte[] page = new ZeroPage(loaded.header()).commandLine(TestLayout.CMDLINE).e820(E820).toBytes();
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(ZeroPage.SIZE, page.length);
        assertEquals(SetupHeader.MAGIC, b.getInt(ZeroPage.HEADER));
        assertEquals(TestLayout.CMDLINE, Integer.toUnsignedLong(b.getInt(ZeroPage.CMD_LINE_PTR)));
        CommandLine line = CommandLine.forKernel(loaded);
        assertTrue(line.maxLength() > 0);
        try {
            Initrd initrd = Initrd.place(initrdSize, loaded, E820);
            long addrMax = loaded.header().map(SetupHeader::initrdAddrMax).filter(a -> a > 0).orElse(Initrd.DEFAULT_ADDR_MAX);
            assertTrue(initrd.address() % 4096 == 0 && initrd.address() >= loaded.end()
                    && E820.isRam(initrd.address(), initrdSize) && initrd.address() + initrdSize - 1 <= addrMax,
                    "initrd " + initrd + " for " + loaded);
        } catch (BootException e) {
            assertEquals(BootError.INITRD_DOES_NOT_FIT, e.error(), e.getMessage());
        }
    }

    /** The synthetic bzImage of {@link TestImages}, some header fields overwritten, possibly cut or extended. */
    private static byte[] bzImage(FuzzedDataProvider data) {
        byte[] image = TestImages.bzImage();
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        // init_size small enough to fit low RAM half of the time, so loading gets exercised.
        if (data.consumeBoolean()) {
            b.putInt(0x260, data.consumeInt(0, (int) (LOW - BzImage.LOAD_ADDRESS)));
        }
        int writes = data.consumeInt(0, 6);
        for (int i = 0; i < writes; i++) {
            int[] field = data.pickValue(BZ_FIELDS);
            put(b, field[0], field[1], data.consumeBoolean() ? data.consumeLong(0, 0x10000) : data.consumeLong());
        }
        if (data.consumeBoolean()) {
            // A consistent but tiny protected-mode part: syssize, payload and file length agree.
            int size = data.consumeInt(0, 0x400);
            int realMode = (Byte.toUnsignedInt(image[0x1f1]) == 0 ? 5 : Byte.toUnsignedInt(image[0x1f1]) + 1) * 512;
            b.putInt(0x1f4, (size + 15) / 16);
            b.putInt(0x248, 0);
            b.putInt(0x24c, data.consumeInt(0, size));
            image = Arrays.copyOf(image, realMode + (size + 15) / 16 * 16);
        } else if (data.consumeBoolean()) {
            image = Arrays.copyOf(image, data.consumeInt(0, image.length + 0x1000));
        }
        return image;
    }

    /** An ELF64 x86-64 executable of one to three PT_LOAD segments, then fields overwritten. */
    private static byte[] elf(FuzzedDataProvider data) {
        List<TestImages.Load> loads = new ArrayList<>();
        int count = data.consumeInt(1, 3);
        for (int i = 0; i < count; i++) {
            byte[] bytes = data.consumeBytes(data.consumeInt(0, 256));
            long memsz = data.consumeBoolean() ? bytes.length + data.consumeLong(0, 0x3000) : data.consumeLong();
            long end = data.pickValue(new long[] {LOW, HIGH_BASE, HIGH_BASE + HIGH}) + data.consumeLong(-2, 2);
            long paddr = switch (data.consumeInt(0, 2)) {
                case 0 -> data.consumeLong(0, LOW + HIGH_BASE + HIGH);
                case 1 -> end - memsz; // ends at, or just around, a region boundary
                default -> data.consumeLong();
            };
            long vaddr = data.consumeBoolean() ? paddr + 0xffff_ffff_8000_0000L : data.consumeLong();
            loads.add(new TestImages.Load(vaddr, paddr, bytes, memsz));
        }
        TestImages.Load first = data.pickValue(loads);
        long entry = switch (data.consumeInt(0, 2)) {
            case 0 -> first.paddr() + data.consumeLong(0, 0x1000);
            case 1 -> first.vaddr() + data.consumeLong(0, 0x1000);
            default -> data.consumeLong();
        };
        byte[] image = TestImages.elf(entry, loads);
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int writes = data.consumeInt(0, 4);
        for (int i = 0; i < writes; i++) {
            long value = data.consumeBoolean() ? data.consumeLong(-0x100, 0x10000) : data.consumeLong();
            if (data.consumeBoolean()) {
                int[] field = data.pickValue(ELF_FIELDS);
                put(b, field[0], field[1], value);
            } else {
                int[] field = data.pickValue(PHDR_FIELDS);
                put(b, 64 + 56 * data.consumeInt(0, count) + field[0], field[1], value);
            }
        }
        if (data.consumeBoolean()) {
            image = Arrays.copyOf(image, data.consumeInt(0, image.length + 0x100));
        }
        return image;
    }

    private static void put(ByteBuffer b, int offset, int width, long value) {
        switch (width) {
            case 1 -> b.put(offset, (byte) value);
            case 2 -> b.putShort(offset, (short) value);
            case 4 -> b.putInt(offset, (int) value);
            default -> b.putLong(offset, value);
        }
    }

    /**
     * The guest ranges [start, end) a load may write, from the parsed image alone: each ELF
     * segment's memory, or the bzImage's protected-mode part at the load address.
     */
    private static List<long[]> occupied(KernelImage kernel) {
        List<long[]> ranges = new ArrayList<>();
        switch (kernel) {
            case BzImage bz -> ranges.add(new long[] {BzImage.LOAD_ADDRESS, BzImage.LOAD_ADDRESS + bz.protectedModeSize()});
            case ElfKernel elf -> {
                for (ElfKernel.Segment s : elf.segments()) {
                    ranges.add(new long[] {s.physicalAddress(), s.physicalAddress() + s.memorySize()});
                }
            }
        }
        return ranges;
    }

    /** Every RAM byte outside {@code allowed} still holds {@link #FILL}. */
    private static void assertUnwrittenOutside(List<long[]> allowed, String what) {
        List<long[]> sorted = new ArrayList<>(allowed);
        sorted.sort((x, y) -> Long.compare(x[0], y[0]));
        for (GuestRegion region : MEMORY.regions()) {
            long end = region.base() + region.size();
            long from = region.base();
            for (long[] range : sorted) {
                long start = Math.max(range[0], region.base());
                long stop = Math.min(range[1], end);
                if (stop <= start) {
                    continue;
                }
                assertFilled(from, start, allowed, what);
                from = Math.max(from, stop);
            }
            assertFilled(from, end, allowed, what);
        }
    }

    private static void assertFilled(long from, long to, List<long[]> allowed, String what) {
        if (from >= to) {
            return;
        }
        long at = MEMORY.slice(from, to - from).mismatch(FILLED.asSlice(0, to - from));
        if (at >= 0) {
            throw new AssertionError(String.format("%s wrote guest byte 0x%x, outside %s", what, from + at, describe(allowed)));
        }
    }

    private static String describe(List<long[]> ranges) {
        StringBuilder b = new StringBuilder(ranges.isEmpty() ? "nothing" : "");
        for (long[] r : ranges) {
            b.append(String.format("[0x%x, 0x%x) ", r[0], r[1]));
        }
        return b.toString().trim();
    }

    private static void restoreFill(long start, long end) {
        for (GuestRegion region : MEMORY.regions()) {
            long from = Math.max(start, region.base());
            long to = Math.min(end, region.base() + region.size());
            if (from < to) {
                MEMORY.slice(from, to - from).fill(FILL);
            }
        }
    }
}
