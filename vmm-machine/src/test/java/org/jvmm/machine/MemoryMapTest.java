package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The memory map is defined once: docs/machine.md shows exactly {@link MemoryMap#table()}, and no
 * other main source spells one of its distinctive numbers.
 */
class MemoryMapTest {

    private static final Path ROOT = Path.of(System.getenv().getOrDefault("JVMM_REPO_ROOT", ".."));

    @Test
    void theDocsShowTheTableTheCodeGives() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/machine.md"));
        List<String> missing = MemoryMap.table().stream().filter(row -> !doc.contains(row + "\n")).toList();
        assertEquals(List.of(), missing, "docs/machine.md lacks these rows of MemoryMap.table(); the table is:\n"
                + String.join("\n", MemoryMap.table()));
    }

    @Test
    void virtioSlotsFollowTheMapAndStopAtTheLast() {
        assertEquals(MemoryMap.VIRTIO_BASE, MemoryMap.virtioSlot(0).base());
        assertEquals(MemoryMap.VIRTIO_GSI + 18, MemoryMap.virtioSlot(18).gsi());
        assertEquals(MemoryMap.VIRTIO_BASE + 18 * MemoryMap.VIRTIO_SLOT_SIZE, MemoryMap.virtioSlot(18).base());
        assertEquals(23, MemoryMap.virtioSlot(MemoryMap.MAX_VIRTIO_SLOTS - 1).gsi(), "the IOAPIC's last pin");
        assertThrows(IllegalArgumentException.class, () -> MemoryMap.virtioSlot(MemoryMap.MAX_VIRTIO_SLOTS));
        assertThrows(IllegalArgumentException.class, () -> MemoryMap.virtioSlot(-1));
    }

    @Test
    void theMapsRegionsDoNotOverlapEachOtherOrTheHole() {
        assertTrue(MemoryMap.BOOT_TIMER.base() < MemoryMap.VIRTIO_BASE);
        assertTrue(MemoryMap.PHASE_MARKER.base() + MemoryMap.PHASE_MARKER.size() <= MemoryMap.BOOT_TIMER.base());
        assertTrue(MemoryMap.PHASE_MARKER.base() >= MemoryMap.MMIO_HOLE);
        assertTrue(MemoryMap.PHASE_MARKER_PORT.base() >= MemoryMap.ACPI_POWER.base() + MemoryMap.ACPI_POWER.size()
                && MemoryMap.PHASE_MARKER_PORT.base() + MemoryMap.PHASE_MARKER_PORT.size() <= MemoryMap.PORT_ALLOCATION_BASE);
        assertTrue(MemoryMap.BOOT_TIMER.base() >= MemoryMap.MMIO_HOLE);
        assertTrue(MemoryMap.PM_TIMER.base() >= MemoryMap.ACPI_POWER.base() + MemoryMap.ACPI_POWER.size()
                && MemoryMap.PM_TIMER.base() + MemoryMap.PM_TIMER.size() <= MemoryMap.PHASE_MARKER_PORT.base());
        assertTrue(MemoryMap.TESTDEV_PORTS.base() + MemoryMap.TESTDEV_PORTS.size() <= MemoryMap.DEBUG_EXIT.base()
                && MemoryMap.I8042.base() + MemoryMap.I8042.size() <= MemoryMap.TESTDEV_PORTS.base());
        assertTrue(MemoryMap.FW_CFG.base() >= MemoryMap.COM1.base() + MemoryMap.COM1.size()
                && MemoryMap.FW_CFG.base() + MemoryMap.FW_CFG.size() <= MemoryMap.ACPI_POWER.base());
        assertTrue(MemoryMap.TESTDEV_IRQ_LINES.base() >= MemoryMap.PHASE_MARKER_PORT.base() + MemoryMap.PHASE_MARKER_PORT.size()
                && MemoryMap.TESTDEV_IRQ_LINES.base() + MemoryMap.TESTDEV_IRQ_LINES.size() <= MemoryMap.PORT_ALLOCATION_BASE);
        assertTrue(MemoryMap.TESTDEV_MEMORY.base() >= MemoryMap.MMIO_ALLOCATION_END
                && MemoryMap.TESTDEV_MEMORY.base() + MemoryMap.TESTDEV_MEMORY.size() <= MemoryMap.KVM_IDENTITY_MAP,
                "pc-testdev memory lies between the callers' MMIO devices (and the IOAPIC and LAPIC) and KVM's pages");
        assertTrue(MemoryMap.MULTIBOOT_ACPI.pmTimerPort() == MemoryMap.PM_TIMER.base(), "the FADT names the PM timer's port");
        long virtioEnd = MemoryMap.VIRTIO_BASE + MemoryMap.MAX_VIRTIO_SLOTS * MemoryMap.VIRTIO_SLOT_SIZE;
        assertTrue(virtioEnd <= MemoryMap.MMIO_ALLOCATION_BASE);
        assertTrue(MemoryMap.MMIO_ALLOCATION_END <= MemoryMap.KVM_IDENTITY_MAP);
        long lowestStack = MemoryMap.LONG_MODE_STACK - MemoryMap.STACK_STRIDE * MemoryMap.MAX_RAW_LONG_MODE_CPUS;
        assertTrue(lowestStack >= MemoryMap.RAW_STACK_FLOOR, "the last raw vCPU's stack stays above the page tables");
        assertTrue(MemoryMap.RAW_STACK_FLOOR > MemoryMap.RAW_PAGE_TABLES + 5 * 0x1000, "PML4, PDPT and four directories");
        assertTrue(MemoryMap.LINUX_PAGE_TABLES + 6 * 0x1000 <= MemoryMap.CMDLINE, "Linux's tables end before the command line");
        assertTrue(MemoryMap.ZERO_PAGE + 0x1000 < MemoryMap.LINUX_STACK && MemoryMap.LINUX_STACK < MemoryMap.LINUX_PAGE_TABLES,
                "Linux's stack lies between the zero page and the page tables");
        assertTrue(MemoryMap.PARAMS + MemoryMap.PARAMS_RESULTS_OFFSET + 8L * MemoryMap.RESULTS <= MemoryMap.RAW_PAGE_TABLES);
    }

    /**
     * The map's distinctive numbers, as a source would spell them: none may appear in a main source
     * other than MemoryMap (small numbers such as 0x1000 mean other things too and are not checked).
     */
    @Test
    void noOtherMainSourceSpellsAMapNumber() throws IOException {
        // Not checked: 0x1000 (the page tables, but also every page size), 0x20000 (the command line, but
        // also a KVM flag), ports below 0x100 (0xf4 is also the hlt opcode).
        long[] numbers = {MemoryMap.PARAMS, MemoryMap.REAL_MODE_ENTRY, MemoryMap.LONG_MODE_ENTRY,
            MemoryMap.LONG_MODE_STACK, MemoryMap.LINUX_STACK, MemoryMap.LINUX_PAGE_TABLES,
            MemoryMap.KVM_TSS, MemoryMap.KVM_IDENTITY_MAP, MemoryMap.VIRTIO_BASE, MemoryMap.BOOT_TIMER.base(),
            MemoryMap.MMIO_ALLOCATION_BASE, MemoryMap.COM1.base(), MemoryMap.ATA_PIO.base(),
            MemoryMap.ACPI_POWER.base(), MemoryMap.PARAMS_MAGIC, MemoryMap.PHASE_MARKER.base(),
            MemoryMap.PHASE_MARKER_PORT.base(), MemoryMap.FW_CFG.base(), MemoryMap.PM_TIMER.base(),
            MemoryMap.TESTDEV_MEMORY.base()};
        List<String> found = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(ROOT)) {
            // jvmm's modules only: examples/ are other VMMs, free to place things where they like.
            sources = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")
                    && ROOT.relativize(p).toString().startsWith("vmm-")
                    && !p.getFileName().toString().equals("MemoryMap.java") && !p.toString().contains("/target/")).toList();
        }
        for (long number : numbers) {
            Pattern spelled = spelling(number);
            for (Path source : sources) {
                List<String> lines = Files.readAllLines(source);
                for (int i = 0; i < lines.size(); i++) {
                    String code = lines.get(i).replaceAll("//.*|^\\s*\\*.*|/\\*.*?\\*/", "");
                    if (spelled.matcher(code).find()) {
                        found.add(ROOT.relativize(source) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertEquals(List.of(), found, "memory-map numbers outside MemoryMap");
    }

    /** 0xd000_0000L, 0xd0000000, 0xD0000000 ...: hex with or without underscores or suffix, any case. */
    private static Pattern spelling(long number) {
        String hex = Long.toHexString(number);
        StringBuilder regex = new StringBuilder("(?i)\\b0x0*");
        for (int i = 0; i < hex.length(); i++) {
            regex.append(hex.charAt(i)).append(i < hex.length() - 1 ? "_*" : "");
        }
        return Pattern.compile(regex.append("L?\\b").toString().toLowerCase(Locale.ROOT));
    }
}
