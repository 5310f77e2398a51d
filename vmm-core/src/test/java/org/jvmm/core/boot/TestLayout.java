package org.jvmm.core.boot;

/**
 * The boot layout the core tests use: the same places jvmm's machine chooses (vmm-machine's
 * MemoryMap, which core cannot see), written out here so the tests read as before.
 */
final class TestLayout {
    static final int POWER_PORTS = 0x600;
    static final int COM1_PORT = 0x3f8;
    static final int COM1_IRQ = 4;
    static final AcpiTables.Layout ACPI = new AcpiTables.Layout(POWER_PORTS, COM1_PORT, COM1_IRQ);
    static final long GDT = 0x500;
    static final long ZERO_PAGE = 0x7000;
    static final long PAGE_TABLES = 0x9000;
    static final long CMDLINE = 0x2_0000;
    static final long CMDLINE_AREA = 0x1_0000;
    static final LinuxBoot.Layout LINUX = new LinuxBoot.Layout(GDT, ZERO_PAGE, 0x8ff0, PAGE_TABLES, CMDLINE,
            CMDLINE_AREA, 0xfffb_d000L, 0xfffb_c000L, ACPI);

    /**
     * The i-th virtio-mmio slot of jvmm's machine.
     *
     * @param index the slot
     * @return 0xd0000000 + i * 0x1000, GSI 5 + i
     */
    static VirtioMmioSlot slot(int index) {
        return new VirtioMmioSlot(0xd000_0000L + index * 0x1000L, 0x1000, 5 + index);
    }

    private TestLayout() {}
}
