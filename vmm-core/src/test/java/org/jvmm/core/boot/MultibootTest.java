package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.memory.GuestMemory;

class MultibootTest {

    private static final long RAM = 16L << 20;
    private final Arena arena = Arena.ofConfined();
    private final GuestMemory memory = TestImages.memory(arena, new long[] {0, RAM});

    @AfterEach
    void close() {
        arena.close();
    }

    private static BootError parseError(byte[] image) {
        return assertThrows(BootException.class, () -> MultibootKernel.parse(image)).error();
    }

    private BootError loadError(byte[] image, List<MultibootModule> modules) {
        MultibootKernel kernel = MultibootKernel.parse(image);
        return assertThrows(BootException.class, () -> new MultibootBoot(memory).load(kernel, "k", modules)).error();
    }

    private static byte[] with(byte[] image, int offset, int value) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return copy;
    }

    private String string(long address) {
        StringBuilder s = new StringBuilder();
        for (long a = address; memory.readByte(a) != 0; a++) {
            s.append((char) memory.readByte(a));
        }
        return s.toString();
    }

    private byte[] bytes(long address, long length) {
        byte[] out = new byte[(int) length];
        for (int i = 0; i < out.length; i++) {
            out[i] = memory.readByte(address + i);
        }
        return out;
    }

    private static long u32(int value) {
        return Integer.toUnsignedLong(value);
    }

    @Test
    void elfSegmentsLoadAtTheirPhysicalAddressesWithTheBssZeroed() {
        memory.slice(0x11_0000, 0x2000).fill((byte) 0x77);
        MultibootKernel kernel = MultibootKernel.parse(MultibootImages.elf());
        assertEquals(0x10_0000, kernel.entry());
        assertEquals(2, kernel.segments().size(), "the PT_NOTE is skipped");
        new MultibootBoot(memory).load(kernel, "k", List.of());
        assertArrayEquals(TestImages.pattern(0x300, 1), bytes(0x10_0000, 0x300));
        assertArrayEquals(TestImages.pattern(0x80, 2), bytes(0x11_0000, 0x80));
        assertArrayEquals(new byte[0x2000 - 0x80], bytes(0x11_0080, 0x2000 - 0x80), "BSS zeroed");
    }

    @Test
    void anEntryGivenAsAVirtualAddressIsTranslatedThroughItsSegment() {
        byte[] image = MultibootImages.elf(0, 0xc010_0010L, List.of(
                new MultibootImages.Load(0xc010_0000L, 0x10_0000, TestImages.pattern(0x40, 1), 0x40)));
        assertEquals(0x10_0010, MultibootKernel.parse(image).entry());
        assertEquals(BootError.MULTIBOOT_BAD_ELF, parseError(with(image, 0x18, 0x20_0000)), "entry in no segment");
    }

    @Test
    void theInformationStructureDescribesMemoryCommandLineAndModule() {
        byte[] initrd = TestImages.pattern(5000, 9);
        MultibootBoot boot = new MultibootBoot(memory);
        MultibootLayout layout = boot.load(MultibootKernel.parse(MultibootImages.elf()), "kernel.elf a=1 b",
                List.of(new MultibootModule(initrd, "env.txt")));
        long info = layout.infoAddress();
        assertEquals(MultibootBoot.INFO_LOWEST, info, "the lowest free RAM above page 0");
        assertEquals(MultibootInfo.FLAGS, memory.readInt(info));
        assertEquals(0b10_0100_1101, MultibootInfo.FLAGS, "memory, cmdline, mods, mmap, loader name");
        assertEquals(639, memory.readInt(info + MultibootInfo.MEM_LOWER), "KiB below the EBDA");
        assertEquals((RAM - (1 << 20)) / 1024, memory.readInt(info + MultibootInfo.MEM_UPPER), "KiB from 1 MiB to the end of RAM");
        assertEquals("kernel.elf a=1 b", string(u32(memory.readInt(info + MultibootInfo.CMDLINE))));
        assertEquals("jvmm", string(u32(memory.readInt(info + MultibootInfo.LOADER_NAME_OFFSET))));

        List<E820Map.Entry> e820 = boot.e820().entries();
        assertEquals(e820.size() * 24, memory.readInt(info + MultibootInfo.MMAP_LENGTH));
        long mmap = u32(memory.readInt(info + MultibootInfo.MMAP_ADDR));
        for (int i = 0; i < e820.size(); i++) {
            long entry = mmap + 24L * i;
            assertEquals(20, memory.readInt(entry), "size field");
            assertEquals(e820.get(i), new E820Map.Entry(memory.readLong(entry + 4), memory.readLong(entry + 12), memory.readInt(entry + 20)));
        }

        assertEquals(1, memory.readInt(info + MultibootInfo.MODS_COUNT));
        long mod = u32(memory.readInt(info + MultibootInfo.MODS_ADDR));
        long start = u32(memory.readInt(mod));
        long end = u32(memory.readInt(mod + 4));
        assertEquals(0, start % 4096, "page aligned");
        assertEquals(initrd.length, end - start, "mod_end is exclusive");
        assertEquals(0x11_2000, start, "the first page above the kernel's end, not in the gap between its segments");
        assertArrayEquals(initrd, bytes(start, initrd.length));
        assertEquals("env.txt", string(u32(memory.readInt(mod + 8))));
        assertEquals(List.of(new MultibootLayout.Module(start, end, "env.txt")), layout.modules());

        assertEquals(info + MultibootInfo.GDT_OFFSET, layout.gdtAddress());
        assertEquals(0, memory.readLong(layout.gdtAddress()), "null descriptor");
        assertEquals(0x00cf_9b00_0000_ffffL, memory.readLong(layout.gdtAddress() + 8), "flat 32-bit code, 4 GiB");
        assertEquals(0x00cf_9300_0000_ffffL, memory.readLong(layout.gdtAddress() + 16), "flat 32-bit data, 4 GiB");
        assertTrue(layout.infoEnd() <= E820Map.EBDA_START, "the block fits below the EBDA");
    }

    @Test
    void noModulesStillGivesAnEmptyListAndACommandLine() {
        MultibootLayout layout = new MultibootBoot(memory).load(MultibootKernel.parse(MultibootImages.elf()), "", List.of());
        assertEquals(0, memory.readInt(layout.infoAddress() + MultibootInfo.MODS_COUNT));
        assertEquals("", string(u32(memory.readInt(layout.infoAddress() + MultibootInfo.CMDLINE))));
    }

    @Test
    void theCommandLineStartsWithTheKernelName() {
        assertEquals("x86/vmexit.flat cpuid", MultibootBoot.commandLine("x86/vmexit.flat", " cpuid "));
        assertEquals("k", MultibootBoot.commandLine("k", ""));
    }

    @Test
    void informationAndModulesAvoidAKernelInTheirUsualPlaces() {
        // One segment from 0x1000 to the EBDA, one at 1 MiB: the block and the module must go around both.
        byte[] image = MultibootImages.elf(0, 0x1000, List.of(
                new MultibootImages.Load(0x1000, 0x1000, TestImages.pattern(16, 1), E820Map.EBDA_START - 0x1000),
                new MultibootImages.Load(0x10_0000, 0x10_0000, TestImages.pattern(16, 2), 0x1800)));
        MultibootLayout layout = new MultibootBoot(memory).load(MultibootKernel.parse(image), "k",
                List.of(new MultibootModule(new byte[3], "a"), new MultibootModule(new byte[0], "empty")));
        assertEquals(0x10_2000, layout.modules().get(0).start(), "first page after the kernel's 1 MiB segment");
        assertEquals(0x10_3000, layout.modules().get(1).start(), "an empty module still gets its own page");
        assertEquals(layout.modules().get(1).start(), layout.modules().get(1).end());
        assertEquals(0x10_1800, layout.infoAddress(), "the block: right after the kernel, in the gap before the modules' page");
        assertArrayEquals(TestImages.pattern(16, 1), bytes(0x1000, 16), "the kernel's low segment is intact");
    }

    @Test
    void kvmUnitTestsLayoutKeepsTheModuleBelowTheKernelAtFourMib() {
        byte[] image = MultibootImages.elf(0, 0x40_00b0, List.of(
                new MultibootImages.Load(0x40_00b0, 0x40_00b0, TestImages.pattern(0x100, 1), 0x100),
                new MultibootImages.Load(0x40_8000, 0x40_8000, TestImages.pattern(0x100, 2), 0x80_0000)));
        MultibootLayout layout = new MultibootBoot(memory).load(MultibootKernel.parse(image), "k",
                List.of(new MultibootModule(new byte[100], "env")));
        assertEquals(0x10_0000, layout.modules().get(0).start(), "at 1 MiB, below the kernel and its allocator's range");
    }

    @Test
    void badChecksumIsNamedUnlessAValidHeaderFollows() {
        byte[] bad = with(MultibootImages.elf(), MultibootImages.ELF_HEADER_AREA + 8, 0);
        assertEquals(BootError.MULTIBOOT_BAD_CHECKSUM, parseError(bad));
        assertEquals(BootError.MULTIBOOT_BAD_CHECKSUM, assertThrows(BootException.class, () -> KernelFormat.detect(bad)).error(),
                "a 32-bit ELF with a broken header is reported as such");
        byte[] twice = bad.clone();
        MultibootImages.header(ByteBuffer.wrap(twice).order(ByteOrder.LITTLE_ENDIAN), MultibootImages.ELF_HEADER_AREA + 4, 0);
        assertEquals(MultibootImages.ELF_HEADER_AREA + 4, MultibootKernel.parse(twice).header().offset());
    }

    @Test
    void theHeaderMustBeAlignedAndWithinTheFirst8192Bytes() {
        byte[] image = new byte[0x3000];
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        MultibootImages.header(b, 8192 - 8, 0);
        assertEquals(BootError.BAD_MAGIC, parseError(image), "a header ending past byte 8192 does not count");
        byte[] unaligned = new byte[0x100];
        MultibootImages.header(ByteBuffer.wrap(unaligned).order(ByteOrder.LITTLE_ENDIAN), 0x42, 0);
        assertEquals(BootError.BAD_MAGIC, parseError(unaligned));
        assertEquals(8192 - 12, MultibootHeader.find(headerAt(8192 - 12)).orElseThrow().offset(), "the last place it may start");
    }

    private static byte[] headerAt(int offset) {
        byte[] image = new byte[0x3000];
        MultibootImages.header(ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN), offset, 0);
        return image;
    }

    @Test
    void truncatedImagesAreNamed() {
        byte[] elf = MultibootImages.elf();
        assertEquals(BootError.TRUNCATED_IMAGE, parseError(Arrays.copyOf(elf, MultibootImages.ELF_HEADER_AREA + 8)), "header cut");
        assertEquals(BootError.TRUNCATED_IMAGE, parseError(Arrays.copyOf(elf, elf.length - 1)), "last segment cut");
        assertEquals(BootError.TRUNCATED_IMAGE, parseError(with(elf, 0x2c, 0x7000)), "program headers past the end");
        byte[] aout = MultibootImages.aout(0, 0x1000, 0x10_0000, 0x10_0000, 0x10_0000 + 0x1001, 0, 0x10_0000);
        assertEquals(BootError.TRUNCATED_IMAGE, parseError(aout), "load_end_addr past the file");
        assertEquals(BootError.TRUNCATED_IMAGE, parseError(Arrays.copyOf(aout, 20)), "address fields cut");
        byte[] addressesPastTheLimit = headerAt(8192 - 12);
        ByteBuffer.wrap(addressesPastTheLimit).order(ByteOrder.LITTLE_ENDIAN).putInt(8192 - 8, MultibootHeader.FLAG_ADDRESSES)
                .putInt(8192 - 4, -(MultibootHeader.MAGIC + MultibootHeader.FLAG_ADDRESSES));
        assertEquals(BootError.MULTIBOOT_BAD_ADDRESSES, parseError(addressesPastTheLimit));
    }

    @Test
    void aVideoModeOrAnUndefinedRequiredFlagIsRefused() {
        assertEquals(BootError.MULTIBOOT_UNSUPPORTED_FLAGS, parseError(MultibootImages.elf(MultibootHeader.FLAG_VIDEO_MODE, 0x10_0000,
                List.of(new MultibootImages.Load(0x10_0000, 0x10_0000, new byte[4], 4)))));
        assertEquals(BootError.MULTIBOOT_UNSUPPORTED_FLAGS, parseError(MultibootImages.elf(1 << 15, 0x10_0000,
                List.of(new MultibootImages.Load(0x10_0000, 0x10_0000, new byte[4], 4)))));
        int fine = MultibootHeader.FLAG_PAGE_ALIGN | MultibootHeader.FLAG_MEMORY_INFO | (1 << 20);
        assertEquals(fine, MultibootKernel.parse(MultibootImages.elf(fine, 0x10_0000,
                List.of(new MultibootImages.Load(0x10_0000, 0x10_0000, new byte[4], 4)))).header().flags(), "optional bits are ignored");
    }

    @Test
    void anElfThatIsNot32BitX86IsRefused() {
        byte[] elf = MultibootImages.elf();
        assertEquals(BootError.MULTIBOOT_BAD_ELF, parseError(with(elf, 0x10, 3 << 16 | 3)), "ET_DYN");
        byte[] elf64 = elf.clone();
        elf64[4] = 2;
        assertEquals(BootError.MULTIBOOT_BAD_ELF, parseError(elf64), "ELF64 without address fields");
        byte[] notElf = elf.clone();
        notElf[0] = 0;
        assertEquals(BootError.MULTIBOOT_BAD_ELF, parseError(notElf), "no ELF magic and no address fields");
        assertEquals(BootError.MULTIBOOT_BAD_ELF, parseError(with(elf, 52 + 32 + 20, 0x10)), "p_filesz > p_memsz");
        assertEquals(BootError.NO_LOADABLE_SEGMENTS, parseError(MultibootImages.elf(0, 0x10_0000, List.of())));
    }

    @Test
    void segmentsPastRamOrInReservedAreasAreRefusedAtLoad() {
        byte[] pastRam = MultibootImages.elf(0, RAM - 0x10, List.of(new MultibootImages.Load(RAM - 0x10, RAM - 0x10, new byte[0x10], 0x20)));
        assertEquals(BootError.KERNEL_OUTSIDE_RAM, loadError(pastRam, List.of()));
        byte[] bios = MultibootImages.elf(0, 0xf_0000, List.of(new MultibootImages.Load(0xf_0000, 0xf_0000, new byte[0x10], 0x10)));
        assertEquals(BootError.KERNEL_OUTSIDE_RAM, loadError(bios, List.of()), "the ACPI tables' area");
    }

    @Test
    void hugeSizesOverflowAsNamedErrors() {
        byte[] image = MultibootImages.elf(0, 0x10_0000, List.of(new MultibootImages.Load(0x10_0000, 0x10_0000, new byte[4], 0xffff_ffffL)));
        assertEquals(BootError.OVERFLOW, parseError(image), "p_paddr + p_memsz above 4 GiB");
        assertEquals(BootError.TRUNCATED_IMAGE, parseError(with(image, 52 + 32 + 4, -1)), "p_offset 0xffffffff");
        assertEquals(BootError.OVERFLOW, parseError(MultibootImages.aout(0, 0x100, 0xffff_ff80L, 0xffff_ff80L, 0, 0, 0xffff_ff80L)),
                "load to the end of the file crosses 4 GiB");
        assertEquals(BootError.MODULE_DOES_NOT_FIT, loadError(MultibootImages.elf(), List.of(new MultibootModule(new byte[(int) RAM], "big"))));
    }

    @Test
    void theInformationBlockThatFitsNowhereIsNamed() {
        // Low RAM from 0x1000 and all RAM above 1 MiB belong to the kernel.
        byte[] image = MultibootImages.elf(0, 0x10_0000, List.of(
                new MultibootImages.Load(0x1000, 0x1000, new byte[4], E820Map.EBDA_START - 0x1000),
                new MultibootImages.Load(0x10_0000, 0x10_0000, new byte[4], RAM - 0x10_0000)));
        assertEquals(BootError.MULTIBOOT_INFO_DOES_NOT_FIT, loadError(image, List.of()));
        assertEquals(BootError.MODULE_DOES_NOT_FIT, loadError(image, List.of(new MultibootModule(new byte[1], "m"))));
    }

    @Test
    void aoutKludgeLoadsTheFileFromTheHeaderOnAndZeroesTheBss() {
        // The header is at offset 0x40 and loaded to 0x200040: loading starts at file offset 0.
        byte[] image = MultibootImages.aout(0x40, 0x800, 0x20_0040, 0x20_0000, 0x20_0600, 0x20_1000, 0x20_0080);
        MultibootKernel kernel = MultibootKernel.parse(image);
        assertEquals(List.of(new MultibootKernel.Segment(0, 0x20_0000, 0x600, 0x1000)), kernel.segments());
        assertEquals(0x20_0080, kernel.entry());
        memory.slice(0x20_0600, 0xa00).fill((byte) 1);
        new MultibootBoot(memory).load(kernel, "k", List.of());
        assertArrayEquals(Arrays.copyOf(image, 0x600), bytes(0x20_0000, 0x600));
        assertArrayEquals(new byte[0xa00], bytes(0x20_0600, 0xa00));

        MultibootKernel toEnd = MultibootKernel.parse(MultibootImages.aout(0x40, 0x800, 0x20_0040, 0x20_0000, 0, 0, 0x20_0000));
        assertEquals(List.of(new MultibootKernel.Segment(0, 0x20_0000, 0x800, 0x800)), toEnd.segments(), "load_end_addr 0: the whole file");
        assertEquals(0x10, MultibootKernel.parse(MultibootImages.aout(0x40, 0x800, 0x20_0030, 0x20_0000, 0, 0, 0x20_0000))
                .segments().get(0).fileOffset(), "the header may sit further into the text");
    }

    @Test
    void inconsistentAddressFieldsAreNamed() {
        assertEquals(BootError.MULTIBOOT_BAD_ADDRESSES, parseError(MultibootImages.aout(0x40, 0x800, 0x20_0000, 0x20_0040, 0, 0, 0x20_0040)),
                "load_addr above header_addr");
        assertEquals(BootError.MULTIBOOT_BAD_ADDRESSES, parseError(MultibootImages.aout(0x40, 0x800, 0x20_0080, 0x20_0000, 0, 0, 0x20_0000)),
                "loading would start before the file");
        assertEquals(BootError.MULTIBOOT_BAD_ADDRESSES, parseError(MultibootImages.aout(0x40, 0x800, 0x20_0040, 0x20_0040, 0x20_0000, 0, 0x20_0040)),
                "load_end_addr below load_addr");
        assertEquals(BootError.MULTIBOOT_BAD_ADDRESSES, parseError(MultibootImages.aout(0x40, 0x800, 0x20_0040, 0x20_0000, 0x20_0400, 0x20_0100, 0x20_0000)),
                "bss_end_addr below load_end_addr");
        assertEquals(BootError.MULTIBOOT_BAD_ADDRESSES, parseError(MultibootImages.aout(0x40, 0x800, 0x20_0040, 0x20_0000, 0, 0, 0x20_0800)),
                "entry past the end");
    }

    @Test
    void commandLineAndModuleStringsMustBePrintable() {
        MultibootKernel kernel = MultibootKernel.parse(MultibootImages.elf());
        MultibootBoot boot = new MultibootBoot(memory);
        assertEquals(BootError.CMDLINE_BAD_CHARACTER, assertThrows(BootException.class, () -> boot.load(kernel, "a\nb", List.of())).error());
        assertEquals(BootError.CMDLINE_BAD_CHARACTER, assertThrows(BootException.class,
                () -> boot.load(kernel, "k", List.of(new MultibootModule(new byte[1], "\u00e9")))).error());
        assertEquals(BootError.CMDLINE_TOO_LONG, assertThrows(BootException.class,
                () -> boot.load(kernel, "x".repeat(MultibootBoot.MAX_STRING + 1), List.of())).error());
    }

    @Test
    void entryRegistersCarryTheMagicAndTheInformationAddress() {
        Registers regs = MultibootBoot.entryRegisters(new MultibootLayout(0x40_00bc, 0x1000, 0x1078, 0x1200, List.of()));
        assertEquals(0x2bad_b002L, regs.get(Register.RAX));
        assertEquals(0x1000, regs.get(Register.RBX));
        assertEquals(0x40_00bc, regs.get(Register.RIP));
        assertEquals(0x2, regs.get(Register.RFLAGS), "IF and VM clear");
        assertEquals(0, regs.get(Register.RSP));
    }

    @Test
    void theProjectsMultibootGuestParses() throws java.io.IOException {
        byte[] image = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("..", "guests", "bin", "multiboot.elf"));
        MultibootKernel kernel = MultibootKernel.parse(image);
        assertEquals(KernelFormat.MULTIBOOT, KernelFormat.detect(image));
        assertEquals(4096, kernel.header().offset(), "the header starts the text segment, at file offset 4096");
        assertEquals(MultibootHeader.FLAG_PAGE_ALIGN | MultibootHeader.FLAG_MEMORY_INFO, kernel.header().flags());
        assertEquals(0x10_0000, kernel.start());
        assertTrue(kernel.entry() > kernel.start() && kernel.entry() < kernel.end());
    }

    @Test
    void formatDetectionFollowsQemusOrder() {
        assertEquals(KernelFormat.LINUX, KernelFormat.detect(TestImages.bzImage()));
        byte[] vmlinux = TestImages.elf(0x100_0000, List.of(new TestImages.Load(0x100_0000, 0x100_0000, new byte[0x40], 0x40)));
        assertEquals(KernelFormat.LINUX, KernelFormat.detect(vmlinux));
        assertEquals(KernelFormat.MULTIBOOT, KernelFormat.detect(MultibootImages.elf()));
        assertEquals(KernelFormat.MULTIBOOT, KernelFormat.detect(MultibootImages.aout(0, 0x100, 0x10_0000, 0x10_0000, 0, 0, 0x10_0000)));
        byte[] strayMagic = Arrays.copyOf(vmlinux, 0x200);
        ByteBuffer.wrap(strayMagic).order(ByteOrder.LITTLE_ENDIAN).putInt(0x100, MultibootHeader.MAGIC);
        assertEquals(KernelFormat.LINUX, KernelFormat.detect(strayMagic), "a vmlinux with the magic by chance");
        assertEquals(BootError.BAD_MAGIC, assertThrows(BootException.class,
                () -> KernelFormat.detect("hello".getBytes(StandardCharsets.US_ASCII))).error());
    }
}
