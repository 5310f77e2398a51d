package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvmm.core.memory.GuestMemory;

/** Zero page, e820 map, initrd placement and command line. */
class BootParamsTest {

    private static final LoadedKernel BZ = new LoadedKernel(0x10_0000, 0x90_0000, 0x10_0200,
            Optional.of(SetupHeader.parse(TestImages.bzImage())));
    private static final LoadedKernel ELF = new LoadedKernel(0x100_0000, 0x400_0000, 0x100_0000, Optional.empty());

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long[][] regions(long... baseAndSize) {
        long[][] pairs = new long[baseAndSize.length / 2][];
        for (int i = 0; i < pairs.length; i++) {
            pairs[i] = new long[] {baseAndSize[2 * i], baseAndSize[2 * i + 1]};
        }
        return pairs;
    }

    @Test
    void e820ForSmallRam() {
        E820Map map = E820Map.forRam(regions(0, 512L << 20));
        assertEquals(List.of(
                new E820Map.Entry(0, 0x9_fc00, E820Map.RAM),
                new E820Map.Entry(0x9_fc00, 0x400, E820Map.RESERVED),
                new E820Map.Entry(0xe_0000, 0x2_0000, E820Map.RESERVED),
                new E820Map.Entry(0x10_0000, (512L << 20) - 0x10_0000, E820Map.RAM)), map.entries());
        assertEquals(512L << 20, map.ramEndBelow4G());
    }

    @Test
    void e820AroundTheMmioHole() {
        E820Map map = E820Map.forRam(regions(0, 0xc000_0000L, 0x1_0000_0000L, 1L << 30));
        assertEquals(5, map.entries().size());
        assertEquals(new E820Map.Entry(0x10_0000, 0xc000_0000L - 0x10_0000, E820Map.RAM), map.entries().get(3));
        assertEquals(new E820Map.Entry(0x1_0000_0000L, 1L << 30, E820Map.RAM), map.entries().get(4));
        assertEquals(0xc000_0000L, map.ramEndBelow4G());
    }

    @Test
    void e820RejectsOverlapsEmptyEntriesAndTooManyEntries() {
        assertEquals(BootError.E820_BAD_ENTRY, assertThrows(BootException.class, () -> new E820Map(List.of(
                new E820Map.Entry(0, 0x2000, 1), new E820Map.Entry(0x1000, 0x1000, 2)))).error());
        assertEquals(BootError.E820_BAD_ENTRY, assertThrows(BootException.class,
                () -> new E820Map(List.of(new E820Map.Entry(0x1000, 0, 1)))).error());
        List<E820Map.Entry> many = new ArrayList<>();
        for (int i = 0; i < 129; i++) {
            many.add(new E820Map.Entry(i * 0x1000L, 0x1000, 1));
        }
        assertEquals(BootError.E820_TABLE_FULL, assertThrows(BootException.class, () -> new E820Map(many)).error());
        assertEquals(128, new E820Map(many.subList(0, 128)).entries().size());
    }

    @Test
    void zeroPageFieldsAtTheirOffsets() {
        E820Map map = E820Map.forRam(regions(0, 512L << 20));
        byte[] page = new ZeroPage(BZ.header()).commandLine(0x2_0000).ramdisk(new Initrd(0x1ff0_0000L, 0x12345))
                .e820(map).acpiRsdp(0xe_0000).toBytes();
        ByteBuffer b = le(page);
        assertEquals(4096, page.length);
        assertEquals(0xff, page[0x210] & 0xff, "type_of_loader");
        assertEquals(0xaa55, b.getShort(0x1fe) & 0xffff, "boot_flag");
        assertEquals(0x53726448, b.getInt(0x202), "HdrS");
        assertEquals(0xffff, b.getShort(0x1fa) & 0xffff, "vid_mode");
        assertEquals(0x01, page[0x211] & 0x01, "loadflags LOADED_HIGH");
        assertEquals(0x2_0000, b.getInt(0x228), "cmd_line_ptr");
        assertEquals(0, b.getInt(0x0c8), "ext_cmd_line_ptr");
        assertEquals(0x1ff0_0000, b.getInt(0x218), "ramdisk_image");
        assertEquals(0x12345, b.getInt(0x21c), "ramdisk_size");
        assertEquals(0xe_0000L, b.getLong(0x070), "acpi_rsdp_addr");
        assertEquals(0x020f, b.getShort(0x206), "protocol version copied from the image");
        assertEquals(TestImages.INITRD_ADDR_MAX, b.getInt(0x22c) & 0xffff_ffffL, "initrd_addr_max copied");
        assertEquals(4, page[0x1e8], "e820_entries");
        for (int i = 0; i < 4; i++) {
            E820Map.Entry e = map.entries().get(i);
            assertEquals(e.address(), b.getLong(0x2d0 + 20 * i));
            assertEquals(e.size(), b.getLong(0x2d0 + 20 * i + 8));
            assertEquals(e.type(), b.getInt(0x2d0 + 20 * i + 16));
        }
        assertEquals(0, b.getLong(0x2d0 + 20 * 4), "nothing after the last entry");
    }

    @Test
    void zeroPageSplitsAddressesAbove4GiBIntoTheExtFields() {
        ByteBuffer b = le(new ZeroPage(Optional.empty()).commandLine(0x1_2345_6000L)
                .ramdisk(new Initrd(0x2_0000_1000L, 0x1_0000_0010L)).toBytes());
        assertEquals(0x2345_6000, b.getInt(0x228));
        assertEquals(1, b.getInt(0x0c8));
        assertEquals(0x1000, b.getInt(0x218));
        assertEquals(2, b.getInt(0x0c0));
        assertEquals(0x10, b.getInt(0x21c));
        assertEquals(1, b.getInt(0x0c4));
        assertEquals(0, b.getShort(0x206), "an ELF kernel has no header to copy");
        assertEquals(0x53726448, b.getInt(0x202));
    }

    @Test
    void initrdGoesHighBelowInitrdAddrMaxPageAligned() {
        E820Map map = E820Map.forRam(regions(0, 2L << 30));
        Initrd initrd = Initrd.place(0x12345, BZ, map);
        assertEquals(0, initrd.address() % 4096);
        assertEquals(Checked.alignDown(TestImages.INITRD_ADDR_MAX + 1 - 0x12345, 4096), initrd.address());
        assertEquals(true, initrd.address() + initrd.size() <= TestImages.INITRD_ADDR_MAX + 1);
    }

    @Test
    void initrdGoesBelowTheEndOfRamWhenRamIsSmaller() {
        E820Map map = E820Map.forRam(regions(0, 256L << 20));
        Initrd initrd = Initrd.place(0x10_0000, ELF, map);
        assertEquals((256L << 20) - 0x10_0000, initrd.address());
        Initrd odd = Initrd.place(0x10_0001, ELF, map);
        assertEquals((256L << 20) - 0x10_1000, odd.address(), "rounded down to a page");
    }

    @Test
    void initrdThatDoesNotFitAboveTheKernelIsANamedError() {
        E820Map map = E820Map.forRam(regions(0, 80L << 20));
        assertEquals(BootError.INITRD_DOES_NOT_FIT,
                assertThrows(BootException.class, () -> Initrd.place(20L << 20, ELF, map)).error());
        assertEquals(16L << 20 << 2, Initrd.place(16L << 20, ELF, map).address());
    }

    @Test
    void initrdIsCopiedIntoGuestMemory() {
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory memory = TestImages.memory(arena, new long[] {0, 128L << 20});
            byte[] data = TestImages.pattern(10_000, 5);
            Initrd initrd = Initrd.load(memory, data, ELF, E820Map.forRam(memory.regions()));
            assertArrayEquals(data, memory.slice(initrd.address(), data.length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void commandLineValidation() {
        CommandLine line = CommandLine.forKernel(BZ);
        assertEquals(TestImages.CMDLINE_SIZE, line.maxLength(), "cmdline_size from the header");
        line.append("console=ttyS0").append("root", "/dev/vda").append("  quiet ");
        assertEquals("console=ttyS0 root=/dev/vda quiet", line.toString());
        byte[] bytes = line.toBytes();
        assertEquals(0, bytes[bytes.length - 1], "NUL-terminated");
        assertEquals("console=ttyS0 root=/dev/vda quiet", new String(bytes, 0, bytes.length - 1, StandardCharsets.US_ASCII));

        assertEquals(BootError.CMDLINE_BAD_CHARACTER, assertThrows(BootException.class, () -> line.append("a\0b")).error());
        assertEquals(BootError.CMDLINE_BAD_CHARACTER, assertThrows(BootException.class, () -> line.append("a\nb")).error());
        assertEquals(BootError.CMDLINE_BAD_CHARACTER, assertThrows(BootException.class, () -> line.append("é")).error());
        assertEquals("console=ttyS0 root=/dev/vda quiet", line.toString(), "a rejected append changes nothing");

        CommandLine exact = new CommandLine(10).append("12345").append("6789");
        assertEquals(10, exact.length());
        assertEquals(BootError.CMDLINE_TOO_LONG, assertThrows(BootException.class, () -> exact.append("x")).error());
        assertEquals(CommandLine.DEFAULT_MAX_LENGTH, CommandLine.forKernel(ELF).maxLength());
        char[] long2048 = new char[2048];
        Arrays.fill(long2048, 'a');
        assertEquals(BootError.CMDLINE_TOO_LONG,
                assertThrows(BootException.class, () -> CommandLine.forKernel(ELF).append(new String(long2048))).error());
    }

    @Test
    void virtioMmioCommandLineEntries() {
        assertEquals("virtio_mmio.device=4K@0xd0000000:5", TestLayout.slot(0).commandLineEntry());
        assertEquals("virtio_mmio.device=4K@0xd0002000:7", TestLayout.slot(2).commandLineEntry());
        assertEquals("virtio_mmio.device=1M@0xe0000000:9", new VirtioMmioSlot(0xe000_0000L, 1 << 20, 9).commandLineEntry());
    }

    @Test
    void bootParamsLandInGuestMemory() {
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory memory = TestImages.memory(arena, new long[] {0, 64L << 20});
            LinuxBoot boot = new LinuxBoot(memory, 2, TestLayout.LINUX);
            LoadedKernel kernel = boot.loadKernel(KernelImage.parse(TestImages.bzImage()));
            CommandLine line = CommandLine.forKernel(kernel).append("console=ttyS0");
            AcpiTables.Tables acpi = boot.writeAcpi(List.of(TestLayout.slot(0)));
            boot.writeBootParams(kernel, line, Optional.empty(), acpi.rsdp());
            assertEquals(TestLayout.CMDLINE, memory.readInt(TestLayout.ZERO_PAGE + 0x228));
            assertEquals("console=ttyS0\0", new String(memory.slice(TestLayout.CMDLINE, 14)
                    .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            assertEquals(AcpiTables.RSDP_ADDRESS, memory.readLong(TestLayout.ZERO_PAGE + 0x70));
            assertEquals(0x2052_5450_2044_5352L, memory.readLong(AcpiTables.RSDP_ADDRESS), "'RSD PTR ' in memory");
            boot.writeCpuTables();
            assertEquals(0x00af_9b00_0000_ffffL, memory.readLong(TestLayout.GDT + BootCpu.BOOT_CS), "__BOOT_CS");
            assertEquals(0x00cf_9300_0000_ffffL, memory.readLong(TestLayout.GDT + BootCpu.BOOT_DS), "__BOOT_DS");
            assertEquals(TestLayout.PAGE_TABLES + 0x1000 | 7, memory.readLong(TestLayout.PAGE_TABLES), "PML4 -> PDPT");
        }
    }
}
