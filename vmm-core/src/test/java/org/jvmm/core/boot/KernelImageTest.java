package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvmm.core.memory.GuestMemory;

class KernelImageTest {

    private static BootError errorOf(byte[] image) {
        return assertThrows(BootException.class, () -> KernelImage.parse(image)).error();
    }

    private static byte[] with(byte[] image, int offset, int value, int bytes) {
        byte[] copy = image.clone();
        ByteBuffer b = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
        switch (bytes) {
            case 1 -> b.put(offset, (byte) value);
            case 2 -> b.putShort(offset, (short) value);
            default -> b.putInt(offset, value);
        }
        return copy;
    }

    @Test
    void parsesTheSetupHeaderOfASyntheticBzImage() {
        BzImage image = assertInstanceOf(BzImage.class, KernelImage.parse(TestImages.bzImage()));
        SetupHeader h = image.header();
        assertEquals(0x020f, h.version());
        assertEquals(TestImages.SETUP_SECTS, h.setupSects());
        assertEquals(TestImages.INITRD_ADDR_MAX, h.initrdAddrMax());
        assertEquals(TestImages.CMDLINE_SIZE, h.cmdlineSize());
        assertEquals(TestImages.INIT_SIZE, h.initSize());
        assertEquals(0x100_0000, h.prefAddress());
        assertEquals(3, h.xloadflags());
        assertEquals(0x26c - 0x1f1, h.raw().length, "header bytes up to the jump target");
        assertEquals(TestImages.PM_SIZE, image.protectedModeSize());
    }

    @Test
    void setupSectsZeroMeansFour() {
        byte[] image = TestImages.bzImage();
        byte[] four = new byte[5 * 512 + TestImages.PM_SIZE];
        System.arraycopy(image, 0, four, 0, 0x300);
        four[0x1f1] = 0;
        assertEquals(4, SetupHeader.parse(four).setupSects());
    }

    @Test
    void namedErrorsForBadImages() {
        byte[] good = TestImages.bzImage();
        assertEquals(BootError.BAD_MAGIC, errorOf(with(good, 0x202, 0x53726449, 4)), "HdrS magic");
        assertEquals(BootError.BAD_MAGIC, errorOf(with(good, 0x1fe, 0x55aa, 2)), "boot flag");
        assertEquals(BootError.PROTOCOL_TOO_OLD, errorOf(with(good, 0x206, 0x020b, 2)));
        assertEquals(BootError.NOT_64_BIT, errorOf(with(good, 0x236, 0x2, 2)));
        assertEquals(BootError.TRUNCATED_IMAGE, errorOf(Arrays.copyOf(good, good.length - 1)), "one byte short of syssize");
        assertEquals(BootError.TRUNCATED_IMAGE, errorOf(Arrays.copyOf(good, 0x210)), "header cut");
        assertEquals(BootError.TRUNCATED_IMAGE, errorOf(Arrays.copyOf(good, 100)), "too short for a header");
        assertEquals(BootError.TRUNCATED_IMAGE, errorOf(with(good, 0x24c, 0x3000, 4)), "payload past the end");
        assertEquals(BootError.BAD_MAGIC, errorOf(new byte[4096]));
    }

    @Test
    void bzImageLoadsAtOneMibWithTheEntryAt0x200() {
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory memory = TestImages.memory(arena, new long[] {0, 16L << 20});
            LoadedKernel kernel = KernelImage.parse(TestImages.bzImage()).load(memory);
            assertEquals(0x10_0000, kernel.start());
            assertEquals(0x10_0200, kernel.entry64());
            assertEquals(0x10_0000 + TestImages.INIT_SIZE, kernel.end(), "init_size is what the kernel needs");
            byte[] loaded = memory.slice(0x10_0000, TestImages.PM_SIZE).toArray(ValueLayout.JAVA_BYTE);
            byte[] image = TestImages.bzImage();
            assertArrayEquals(Arrays.copyOfRange(image, (TestImages.SETUP_SECTS + 1) * 512, image.length), loaded);
            assertTrue(kernel.header().isPresent());
        }
    }

    @Test
    void bzImageNeedsRamForInitSize() {
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory memory = TestImages.memory(arena, new long[] {0, 4L << 20});
            BootException e = assertThrows(BootException.class, () -> KernelImage.parse(TestImages.bzImage()).load(memory));
            assertEquals(BootError.KERNEL_OUTSIDE_RAM, e.error());
        }
    }

    @Test
    void elfSegmentsGoToTheirPhysicalAddressesAndBssIsZeroed() {
        byte[] text = TestImages.pattern(0x1800, 1);
        byte[] data = TestImages.pattern(0x200, 9);
        byte[] elf = TestImages.elf(0x100_0000, List.of(
                new TestImages.Load(0xffff_ffff_8100_0000L, 0x100_0000, text, 0x1800),
                new TestImages.Load(0xffff_ffff_8120_0000L, 0x120_0000, data, 0x1000)));
        ElfKernel kernel = assertInstanceOf(ElfKernel.class, KernelImage.parse(elf));
        assertEquals(2, kernel.segments().size(), "the PT_NOTE is skipped");
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory memory = TestImages.memory(arena, new long[] {0, 32L << 20});
            memory.slice(0x120_0000, 0x1000).fill((byte) 0x5a);
            LoadedKernel loaded = kernel.load(memory);
            assertEquals(0x100_0000, loaded.entry64(), "ELF entry is already physical");
            assertEquals(0x100_0000, loaded.start());
            assertEquals(0x120_1000, loaded.end());
            assertTrue(loaded.header().isEmpty());
            assertArrayEquals(text, memory.slice(0x100_0000, text.length).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(data, memory.slice(0x120_0000, data.length).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new byte[0x1000 - 0x200], memory.slice(0x120_0200, 0xe00).toArray(ValueLayout.JAVA_BYTE),
                    "p_memsz beyond p_filesz is zeroed");
        }
    }

    @Test
    void virtualElfEntryIsTranslatedToPhysical() {
        byte[] elf = TestImages.elf(0xffff_ffff_8100_0040L, List.of(
                new TestImages.Load(0xffff_ffff_8100_0000L, 0x100_0000, TestImages.pattern(0x100, 2), 0x100)));
        assertEquals(0x100_0040, ElfKernel.parse(elf).entry());
    }

    @Test
    void namedErrorsForBadElfFiles() {
        List<TestImages.Load> one = List.of(new TestImages.Load(0x100_0000, 0x100_0000, TestImages.pattern(0x100, 3), 0x100));
        byte[] good = TestImages.elf(0x100_0000, one);
        assertEquals(BootError.BAD_ELF, errorOf(with(good, 0x12, 3, 2)), "i386 machine");
        assertEquals(BootError.BAD_ELF, errorOf(with(good, 4, 1, 1)), "ELF32");
        assertEquals(BootError.BAD_ELF, errorOf(with(good, 0x36, 32, 2)), "program header size");
        assertEquals(BootError.BAD_ELF, errorOf(TestImages.elf(0x5000_0000, one)), "entry outside the segments");
        assertEquals(BootError.TRUNCATED_IMAGE, errorOf(Arrays.copyOf(good, good.length - 1)), "segment data cut");
        assertEquals(BootError.TRUNCATED_IMAGE, errorOf(Arrays.copyOf(good, 100)), "program headers cut");
        assertEquals(BootError.TRUNCATED_IMAGE, errorOf(Arrays.copyOf(good, 40)), "ELF header cut");
        assertEquals(BootError.NO_LOADABLE_SEGMENTS, errorOf(TestImages.elf(0, List.of())));
        byte[] fileBiggerThanMemory = with(good, 64 + 56 + 40, 0x10, 4);
        assertEquals(BootError.BAD_ELF, errorOf(fileBiggerThanMemory), "p_filesz > p_memsz");
        byte[] wraps = good.clone();
        ByteBuffer.wrap(wraps).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 56 + 24, Long.MAX_VALUE - 0x10);
        assertEquals(BootError.OVERFLOW, errorOf(wraps), "p_paddr + p_memsz overflows");
    }

    @Test
    void elfThatDoesNotFitInRamIsANamedError() {
        byte[] elf = TestImages.elf(0x100_0000, List.of(
                new TestImages.Load(0x100_0000, 0x100_0000, TestImages.pattern(0x100, 4), 0x100_0000)));
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory memory = TestImages.memory(arena, new long[] {0, 16L << 20});
            assertEquals(BootError.KERNEL_OUTSIDE_RAM,
                    assertThrows(BootException.class, () -> KernelImage.parse(elf).load(memory)).error());
        }
    }

    // The next three were found by KernelImageFuzzTest; its seeds under src/test/resources replay them too.

    @Test
    void aFileCutInsideTheProtocolVersionIsTruncated() {
        byte[] cut = Arrays.copyOf(TestImages.bzImage(), 0x207);
        assertEquals(BootError.TRUNCATED_IMAGE, errorOf(cut), "HdrS present, version half there");
    }

    @Test
    void aBzImageWhoseCodeEndsBeforeTheEntryIsTruncated() {
        int realMode = (TestImages.SETUP_SECTS + 1) * 512;
        byte[] image = Arrays.copyOf(TestImages.bzImage(), realMode + 0x200);
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x1f4, 0x200 / 16); // syssize
        b.putInt(0x24c, 0x100);      // payload_length
        BootException e = assertThrows(BootException.class, () -> KernelImage.parse(image));
        assertEquals(BootError.TRUNCATED_IMAGE, e.error());
        assertTrue(e.getMessage().contains("64-bit entry"), e.getMessage());
        byte[] oneMore = Arrays.copyOf(image, image.length + 16);
        ByteBuffer.wrap(oneMore).order(ByteOrder.LITTLE_ENDIAN).putInt(0x1f4, 0x210 / 16);
        assertEquals(0x210, BzImage.parse(oneMore).protectedModeSize(), "one instruction's room past the entry is enough");
    }

    @Test
    void elfFieldsOf2To63AndMoreAreOverflows() {
        List<TestImages.Load> one = List.of(new TestImages.Load(0x100_0000, 0x100_0000, TestImages.pattern(0x100, 3), 0x100));
        byte[] good = TestImages.elf(0x100_0000, one);
        int phdr = 64 + 56; // the PT_LOAD, after the PT_NOTE
        for (int[] field : new int[][] {{0x20, 0}, {phdr + 8, 1}, {phdr + 24, 2}, {phdr + 32, 3}, {phdr + 40, 4}}) {
            byte[] bad = good.clone();
            ByteBuffer b = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(field[0], -0x10); // 2^64 - 16: as an unsigned size or address, past anything real
            assertEquals(BootError.OVERFLOW, errorOf(bad), "field " + field[1] + " (0: e_phoff, then p_offset, "
                    + "p_paddr, p_filesz, p_memsz) = 2^64 - 16");
        }
    }

    @Test
    void anElfSegmentMayEndExactlyAtTheEndOfRam() {
        byte[] text = TestImages.pattern(0x1000, 5);
        byte[] elf = TestImages.elf(0xff_f000, List.of(new TestImages.Load(0xff_f000, 0xff_f000, text, text.length)));
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory memory = TestImages.memory(arena, new long[] {0, 16L << 20});
            LoadedKernel loaded = KernelImage.parse(elf).load(memory);
            assertEquals(16L << 20, loaded.end());
            assertArrayEquals(text, memory.slice(0xff_f000, text.length).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    // ---- boundaries the mutation run (docs/hardening.md) showed untested ----

    @Test
    void anElfEntryOneByteAfterItsSegmentIsOutside() {
        long paddr = 0x100_0000;
        long vaddr = 0xffff_ffff_8100_0000L;
        List<TestImages.Load> one = List.of(new TestImages.Load(vaddr, paddr, TestImages.pattern(0x100, 5), 0x100));
        assertEquals(paddr + 0xff, ElfKernel.parse(TestImages.elf(paddr + 0xff, one)).entry(), "the last byte, physical");
        assertEquals(paddr + 0xff, ElfKernel.parse(TestImages.elf(vaddr + 0xff, one)).entry(), "the last byte, virtual");
        assertEquals(BootError.BAD_ELF, errorOf(TestImages.elf(paddr + 0x100, one)), "one past the end, physical");
        assertEquals(BootError.BAD_ELF, errorOf(TestImages.elf(vaddr + 0x100, one)), "one past the end, virtual");
    }

    @Test
    void shortElfFilesGetTheErrorOfWhatIsMissing() {
        BootException magicOnly = assertThrows(BootException.class,
                () -> KernelImage.parse(new byte[] {0x7f, 'E', 'L', 'F'}));
        assertEquals(BootError.TRUNCATED_IMAGE, magicOnly.error(), "the magic alone is an ELF file cut short");
        assertTrue(magicOnly.getMessage().contains("ELF64 header"), magicOnly.getMessage());
        List<TestImages.Load> one = List.of(new TestImages.Load(0x100_0000, 0x100_0000, TestImages.pattern(0x100, 3), 0x100));
        byte[] headerOnly = with(Arrays.copyOf(TestImages.elf(0x100_0000, one), 64), 0x38, 0, 2);
        assertEquals(BootError.NO_LOADABLE_SEGMENTS, errorOf(headerOnly), "a whole 64-byte header and no program headers");
    }

    @Test
    void theOldestBootProtocolJvmmTakesIsAccepted() {
        byte[] oldest = with(TestImages.bzImage(), 0x206, SetupHeader.MIN_VERSION, 2);
        assertEquals(SetupHeader.MIN_VERSION, assertInstanceOf(BzImage.class, KernelImage.parse(oldest)).header().version());
        BootException older = assertThrows(BootException.class,
                () -> KernelImage.parse(with(TestImages.bzImage(), 0x206, SetupHeader.MIN_VERSION - 1, 2)));
        assertEquals(BootError.PROTOCOL_TOO_OLD, older.error());
        assertTrue(older.getMessage().contains(String.format("protocol %d.%02d", (SetupHeader.MIN_VERSION - 1) >> 8,
                (SetupHeader.MIN_VERSION - 1) & 0xff)), older.getMessage());
    }
}
