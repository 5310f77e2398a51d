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
import java.util.Set;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;

/**
 * Fuzzes the Multiboot parser and boot loader with raw bytes, ELF32 kernels and a.out-kludge images
 * built from valid templates whose fields the fuzzer overwrites, and modules of any size. Parsing
 * returns a kernel or throws {@link BootException}; a parsed kernel is self-consistent (segments
 * inside the file and below 4 GiB, entry inside a segment). Loading either refuses by name or puts
 * the segments' bytes where they belong, and the modules and the information block in usable RAM,
 * overlapping neither each other nor the kernel; the information structure points at them. Guard
 * pages around both RAM regions stay untouched.
 */
class MultibootFuzzTest {

    /** Low RAM [0, 3 MiB), then a hole, then [4 MiB, 5 MiB). */
    private static final long LOW = 3L << 20;
    private static final long HIGH_BASE = 4L << 20;
    private static final long HIGH = 1L << 20;
    private static final long GUARD = 4096;
    private static final byte GUARD_BYTE = (byte) 0xA5;
    private static final MemorySegment LOW_SEGMENT = guarded(LOW);
    private static final MemorySegment HIGH_SEGMENT = guarded(HIGH);
    private static final RegionGuestMemory MEMORY = new RegionGuestMemory(List.of(
            new GuestRegion(0, LOW_SEGMENT.asSlice(GUARD, LOW)), new GuestRegion(HIGH_BASE, HIGH_SEGMENT.asSlice(GUARD, HIGH))));
    private static final MemorySegment GUARD_PATTERN = Arena.global().allocate(GUARD).fill(GUARD_BYTE);
    private static final MemorySegment ZEROS = Arena.global().allocate(LOW);
    private static final Set<BootError> LOAD_ERRORS = Set.of(BootError.KERNEL_OUTSIDE_RAM, BootError.MODULE_DOES_NOT_FIT,
            BootError.MULTIBOOT_INFO_DOES_NOT_FIT);

    /** ELF32 header fields: class, data, type, machine, entry, phoff, phentsize, phnum. */
    private static final int[][] ELF_FIELDS = {{4, 1}, {5, 1}, {0x10, 2}, {0x12, 2}, {0x18, 4}, {0x1c, 4}, {0x2a, 2}, {0x2c, 2}};
    /** ELF32 program header fields: type, offset, vaddr, paddr, filesz, memsz. */
    private static final int[][] PHDR_FIELDS = {{0, 4}, {4, 4}, {8, 4}, {12, 4}, {16, 4}, {20, 4}};

    @FuzzTest(maxDuration = "30s")
    void parseAndLoad(FuzzedDataProvider data) {
        List<MultibootModule> modules = new ArrayList<>();
        int count = data.consumeInt(0, 3);
        for (int i = 0; i < count; i++) {
            int size = data.consumeBoolean() ? data.consumeInt(0, 0x3000) : data.consumeInt(0, (int) (LOW + HIGH));
            modules.add(new MultibootModule(new byte[size], "m" + i));
        }
        byte[] image = switch (data.consumeInt(0, 2)) {
            case 0 -> elf(data);
            case 1 -> aout(data);
            default -> data.consumeRemainingAsBytes();
        };
        MultibootKernel kernel;
        try {
            kernel = MultibootKernel.parse(image);
        } catch (BootException refused) {
            return;
        }
        checkParsed(kernel, image);
        for (int i = 0; i < modules.size(); i++) {
            Arrays.fill(modules.get(i).data(), (byte) (i + 1));
        }
        MultibootLayout layout;
        try {
            layout = new MultibootBoot(MEMORY).load(kernel, "fuzz", modules);
        } catch (BootException e) {
            assertTrue(LOAD_ERRORS.contains(e.error()), e.getMessage());
            assertGuards();
            return;
        }
        assertGuards();
        checkLoaded(kernel, layout, modules);
    }

    private static void checkParsed(MultibootKernel kernel, byte[] image) {
        boolean entryInside = false;
        for (MultibootKernel.Segment s : kernel.segments()) {
            assertTrue(s.fileOffset() >= 0 && s.fileSize() >= 0 && s.fileOffset() + s.fileSize() <= image.length, "file range: " + s);
            assertTrue(s.memorySize() > 0 && s.memorySize() >= s.fileSize() && s.address() >= 0
                    && s.end() <= MultibootKernel.FOUR_GIB, "memory range: " + s);
            entryInside |= kernel.entry() >= s.address() && kernel.entry() < s.end();
        }
        assertTrue(entryInside, "entry 0x" + Long.toHexString(kernel.entry()) + " in no segment");
    }

    private static void checkLoaded(MultibootKernel kernel, MultibootLayout layout, List<MultibootModule> modules) {
        E820Map map = E820Map.forRam(MEMORY.regions());
        List<MultibootKernel.Segment> segments = kernel.segments();
        for (int i = 0; i < segments.size(); i++) {
            MultibootKernel.Segment s = segments.get(i);
            assertTrue(map.isRam(s.address(), s.memorySize()), "segment outside usable RAM: " + s);
            if (!overwrittenLater(segments, i)) {
                MemorySegment loaded = MEMORY.slice(s.address(), s.memorySize());
                assertEquals(-1, loaded.asSlice(0, s.fileSize()).mismatch(
                        kernel.image().asSlice(s.fileOffset(), s.fileSize())), "segment bytes: " + s);
                MemorySegment bss = loaded.asSlice(s.fileSize());
                assertEquals(-1, bss.mismatch(ZEROS.asSlice(0, bss.byteSize())), "BSS not zeroed: " + s);
            }
        }
        List<long[]> placed = new ArrayList<>();
        placed.add(new long[] {kernel.start(), kernel.end()});
        for (int i = 0; i < modules.size(); i++) {
            MultibootLayout.Module m = layout.modules().get(i);
            long size = modules.get(i).data().length;
            assertEquals(size, m.end() - m.start());
            assertTrue(m.start() % 4096 == 0 && map.isRam(m.start(), Math.max(size, 1)) && m.end() <= MultibootKernel.FOUR_GIB, "module " + m);
            for (long a = m.start(); a < m.end(); a += 509) {
                assertEquals(i + 1, MEMORY.readByte(a), "module " + i + " byte at 0x" + Long.toHexString(a));
            }
            placed.add(new long[] {m.start(), m.start() + Math.max(size, 1)});
        }
        long info = layout.infoAddress();
        assertTrue(info >= MultibootBoot.INFO_LOWEST && map.isRam(info, layout.infoEnd() - info), "information block");
        placed.add(new long[] {info, layout.infoEnd()});
        for (int i = 0; i < placed.size(); i++) {
            for (int j = i + 1; j < placed.size(); j++) {
                assertTrue(placed.get(i)[1] <= placed.get(j)[0] || placed.get(j)[1] <= placed.get(i)[0],
                        "overlap: " + Arrays.toString(placed.get(i)) + " and " + Arrays.toString(placed.get(j)));
            }
        }
        assertEquals(MultibootInfo.FLAGS, MEMORY.readInt(info));
        assertEquals(modules.size(), MEMORY.readInt(info + MultibootInfo.MODS_COUNT));
        for (int i = 0; i < modules.size(); i++) {
            long entry = Integer.toUnsignedLong(MEMORY.readInt(info + MultibootInfo.MODS_ADDR)) + 16L * i;
            assertEquals(layout.modules().get(i).start(), Integer.toUnsignedLong(MEMORY.readInt(entry)));
            assertEquals(layout.modules().get(i).end(), Integer.toUnsignedLong(MEMORY.readInt(entry + 4)));
        }
    }

    private static boolean overwrittenLater(List<MultibootKernel.Segment> segments, int i) {
        MultibootKernel.Segment s = segments.get(i);
        for (int j = i + 1; j < segments.size(); j++) {
            MultibootKernel.Segment t = segments.get(j);
            if (t.address() < s.end() && s.address() < t.end()) {
                return true;
            }
        }
        return false;
    }

    /** An ELF32 kernel of one to three segments near the regions' edges, then fields overwritten. */
    private static byte[] elf(FuzzedDataProvider data) {
        List<MultibootImages.Load> loads = new ArrayList<>();
        int count = data.consumeInt(1, 3);
        for (int i = 0; i < count; i++) {
            byte[] bytes = data.consumeBytes(data.consumeInt(0, 256));
            long memsz = data.consumeBoolean() ? bytes.length + data.consumeLong(0, 0x3000) : data.consumeLong(0, 0xffff_ffffL);
            long end = data.pickValue(new long[] {E820Map.EBDA_START, LOW, HIGH_BASE + HIGH}) + data.consumeLong(-2, 2);
            long paddr = switch (data.consumeInt(0, 2)) {
                case 0 -> data.consumeLong(0, HIGH_BASE + HIGH);
                case 1 -> end - memsz;
                default -> data.consumeLong(0, 0xffff_ffffL);
            };
            loads.add(new MultibootImages.Load(data.consumeLong(0, 0xffff_ffffL), paddr & 0xffff_ffffL, bytes, memsz));
        }
        MultibootImages.Load first = data.pickValue(loads);
        long entry = data.consumeBoolean() ? first.paddr() + data.consumeLong(0, 0x1000) : data.consumeLong(0, 0xffff_ffffL);
        int flags = data.consumeBoolean() ? 0 : data.consumeInt();
        byte[] image = MultibootImages.elf(flags, entry, loads);
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int writes = data.consumeInt(0, 4);
        for (int i = 0; i < writes; i++) {
            long value = data.consumeBoolean() ? data.consumeLong(-0x100, 0x10000) : data.consumeLong();
            boolean phdr = data.consumeBoolean();
            int[] field = data.pickValue(phdr ? PHDR_FIELDS : ELF_FIELDS);
            put(b, field[0] + (phdr ? 52 + 32 * data.consumeInt(0, count) : 0), field[1], value);
        }
        if (data.consumeBoolean()) {
            image = Arrays.copyOf(image, data.consumeInt(0, image.length + 0x100));
        }
        return image;
    }

    /** An a.out-kludge image whose address fields are near-consistent or arbitrary. */
    private static byte[] aout(FuzzedDataProvider data) {
        int offset = data.consumeInt(0, 0x800) & ~3;
        int length = data.consumeInt(offset + 32, offset + 0x3000);
        long load = data.consumeBoolean() ? data.consumeLong(0, HIGH_BASE + HIGH) & ~0xfffL : data.consumeLong(0, 0xffff_ffffL);
        long header = data.consumeBoolean() ? load + data.consumeLong(0, offset) : data.consumeLong(0, 0xffff_ffffL);
        long loadEnd = data.consumeBoolean() ? 0 : load + data.consumeLong(-0x10, length);
        long bssEnd = data.consumeBoolean() ? 0 : load + data.consumeLong(-0x10, 0x10_0000);
        long entry = data.consumeBoolean() ? load + data.consumeLong(0, 0x100) : data.consumeLong(0, 0xffff_ffffL);
        byte[] image = MultibootImages.aout(offset, length, header, load, loadEnd, bssEnd, entry);
        if (data.consumeBoolean()) {
            image = Arrays.copyOf(image, data.consumeInt(0, image.length));
        }
        return image;
    }

    private static void put(ByteBuffer b, int offset, int width, long value) {
        if (offset + width > b.capacity()) {
            return;
        }
        switch (width) {
            case 1 -> b.put(offset, (byte) value);
            case 2 -> b.putShort(offset, (short) value);
            default -> b.putInt(offset, (int) value);
        }
    }

    private static MemorySegment guarded(long size) {
        MemorySegment all = Arena.global().allocate(size + 2 * GUARD, 4096);
        all.fill(GUARD_BYTE);
        return all;
    }

    private static void assertGuards() {
        for (MemorySegment all : List.of(LOW_SEGMENT, HIGH_SEGMENT)) {
            long size = all.byteSize() - 2 * GUARD;
            assertEquals(-1, all.asSlice(0, GUARD).mismatch(GUARD_PATTERN), "guard page before a region written");
            assertEquals(-1, all.asSlice(GUARD + size, GUARD).mismatch(GUARD_PATTERN), "guard page after a region written");
        }
    }
}
