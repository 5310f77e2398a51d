package org.jvmm.machine;

import java.util.List;
import org.jvmm.core.boot.AcpiTables;
import org.jvmm.core.boot.LinuxBoot;
import org.jvmm.core.boot.VirtioMmioSlot;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.PhaseAccounting;
import org.jvmm.devices.ata.AtaPio;
import org.jvmm.devices.acpi.Pm1Registers;
import org.jvmm.devices.acpi.PmTimer;
import org.jvmm.devices.debug.DebugExit;
import org.jvmm.devices.fwcfg.FwCfg;
import org.jvmm.devices.rtc.CmosRtc;
import org.jvmm.devices.testdev.TestDevIrqLines;
import org.jvmm.devices.testdev.TestDevMemory;
import org.jvmm.devices.testdev.TestDevPorts;
import org.jvmm.devices.serial.Serial;

/**
 * Every guest-physical address, port, GSI and slot of jvmm's machine, defined here once. The raw and
 * Linux boots, the ACPI tables, the placement of devices, the tests and the tables of
 * docs/machine.md all take their numbers from this class (a test checks the docs against
 * {@link #table()}). Guests depend on this layout: changes to it are additions.
 *
 * <p>Architectural addresses that are not the machine's choice (the legacy BIOS area where the ACPI
 * RSDP lives, the local APIC and IOAPIC, where RAM resumes above 4 GiB) stay with the code that
 * implements the architecture, in vmm-core's boot and memory packages.
 */
public final class MemoryMap {

    // ---- RAM

    /** Start of the MMIO hole below 4 GiB: RAM above it continues at 4 GiB. */
    public static final long MMIO_HOLE = GuestRam.MMIO_HOLE_START;
    /** Smallest RAM a machine takes: page tables, stacks and the 2 MiB long-mode entry need it. */
    public static final long MIN_MEMORY = 4L << 20;

    // ---- raw payloads (docs/machine.md)

    /** The GDT both boots load (raw long mode: null, code 0x08, data 0x10; Linux: its boot GDT). */
    public static final long GDT = 0x500;
    /** The raw machine's parameter block. */
    public static final long PARAMS = 0x600;
    /** The parameter block's magic, "JVMM". */
    public static final int PARAMS_MAGIC = 0x4d4d_564a;
    /** The parameter block's version. */
    public static final int PARAMS_VERSION = 1;
    /** Offset of the version in the parameter block. */
    public static final long PARAMS_VERSION_OFFSET = 0x04;
    /** Offset of the RAM size in the parameter block. */
    public static final long PARAMS_MEMORY_OFFSET = 0x08;
    /** Offset of the vCPU count in the parameter block. */
    public static final long PARAMS_CPUS_OFFSET = 0x10;
    /** Offset of the virtio slot count in the parameter block. */
    public static final long PARAMS_VIRTIO_SLOTS_OFFSET = 0x14;
    /** Offset of the flags (bit 0: in-kernel irqchip) in the parameter block. */
    public static final long PARAMS_FLAGS_OFFSET = 0x18;
    /** Offset of the workload arguments in the parameter block. */
    public static final long PARAMS_ARGS_OFFSET = 0x20;
    /** Number of argument words. */
    public static final int MAX_ARGS = 16;
    /** Offset of the guest's result words in the parameter block. */
    public static final long PARAMS_RESULTS_OFFSET = 0xa0;
    /** Number of result words. */
    public static final int RESULTS = 8;
    /** The raw long-mode page tables: PML4 here, then the PDPT and four page directories (4 GiB 1:1). */
    public static final long RAW_PAGE_TABLES = 0x1000;
    /** Real-mode load and entry address (cs = 0). */
    public static final long REAL_MODE_ENTRY = 0x7c00;
    /** Real-mode initial stack pointer. */
    public static final long REAL_MODE_STACK = 0x7000;
    /** End of memory a real-mode payload may occupy (below the legacy video and BIOS area). */
    public static final long REAL_MODE_LIMIT = 0xa0000;
    /** Long-mode load and entry address. */
    public static final long LONG_MODE_ENTRY = 0x20_0000;
    /** Long-mode stack top of vCPU 0. */
    public static final long LONG_MODE_STACK = 0x1f_f000;
    /** Stack spacing between vCPUs: vCPU n starts with rsp = LONG_MODE_STACK - n * STACK_STRIDE. */
    public static final long STACK_STRIDE = 0x1_0000;
    /** End of the raw long-mode page tables: no vCPU's stack may reach below it. */
    public static final long RAW_STACK_FLOOR = RAW_PAGE_TABLES + 6 * 0x1000;
    /** vCPUs whose raw long-mode stacks fit between {@link #RAW_STACK_FLOOR} and {@link #LONG_MODE_STACK}. */
    public static final int MAX_RAW_LONG_MODE_CPUS = (int) ((LONG_MODE_STACK - RAW_STACK_FLOOR) / STACK_STRIDE);

    // ---- Linux (docs/linux-boot.md)

    /** The zero page (boot_params). */
    public static final long ZERO_PAGE = 0x7000;
    /** Linux's initial stack pointer (grows down towards the zero page's end). */
    public static final long LINUX_STACK = 0x8ff0;
    /** Linux's identity page tables: PML4, PDPT, four page directories. */
    public static final long LINUX_PAGE_TABLES = 0x9000;
    /** The kernel command line. */
    public static final long CMDLINE = 0x2_0000;
    /** The most the command line may take, NUL included. */
    public static final long CMDLINE_AREA = 0x1_0000;
    /** KVM_SET_TSS_ADDR: three pages in the MMIO hole, outside RAM (Intel hosts need them). */
    public static final long KVM_TSS = 0xfffb_d000L;
    /** KVM_SET_IDENTITY_MAP_ADDR: one page below the TSS. */
    public static final long KVM_IDENTITY_MAP = 0xfffb_c000L;

    // ---- MMIO

    /** Base of virtio-mmio slot 0; slot i is at VIRTIO_BASE + i * VIRTIO_SLOT_SIZE. */
    public static final long VIRTIO_BASE = 0xd000_0000L;
    /** Size of a virtio-mmio slot. */
    public static final long VIRTIO_SLOT_SIZE = 0x1000;
    /** GSI of virtio slot 0; slot i uses VIRTIO_GSI + i. */
    public static final int VIRTIO_GSI = 5;
    /** Slots available: GSIs 5 to 23 of the IOAPIC's 24 pins. */
    public static final int MAX_VIRTIO_SLOTS = 19;
    /**
     * The phase marker (docs/machine.md): a guest write of N to its register at offset 0 marks "phase N
     * of the guest's work begins here" ({@link org.jvmm.core.stats.PhaseAccounting}).
     */
    public static final AddressRange PHASE_MARKER = new AddressRange(0xcfff_e000L, 0x1000);
    /** The boot-time marker: a guest write here logs the time since the VMM started. */
    public static final AddressRange BOOT_TIMER = new AddressRange(0xcfff_f000L, 0x1000);
    /** Where the machine places callers' MMIO devices that ask for no address: upwards from here. */
    public static final long MMIO_ALLOCATION_BASE = 0xe000_0000L;
    /** End (exclusive) of the range for callers' MMIO devices, below the IOAPIC. */
    public static final long MMIO_ALLOCATION_END = 0xfe00_0000L;

    // ---- ports

    /** COM1, the 8250 UART. */
    public static final AddressRange COM1 = new AddressRange(0x3f8, Serial.PORTS);
    /** COM1's GSI (ISA IRQ 4). */
    public static final int COM1_GSI = 4;
    /** The i8042 keyboard controller's data and command ports (0x60-0x64). */
    public static final AddressRange I8042 = new AddressRange(0x60, org.jvmm.devices.i8042.I8042.PORTS);
    /** The debug-exit port, at QEMU's isa-debug-exit address. */
    public static final AddressRange DEBUG_EXIT = new AddressRange(0xf4, DebugExit.PORTS);
    /** The ATA-PIO block device's command block. */
    public static final AddressRange ATA_PIO = new AddressRange(0x1f0, AtaPio.PORTS);
    /** The ACPI power ports: sleep control, sleep status, reset (on every machine; the FADT describes them to Linux). */
    public static final AddressRange ACPI_POWER = new AddressRange(0x600, AcpiTables.POWER_PORTS);
    /** The phase marker's port, for guests that cannot reach {@link #PHASE_MARKER} (real mode): a 32-bit register. */
    public static final AddressRange PHASE_MARKER_PORT = new AddressRange(0x6f0, 4);
    /** Where the machine places callers' port devices that ask for no port: upwards from here. */
    public static final int PORT_ALLOCATION_BASE = 0x7000;
    /** End (exclusive) of the range for callers' port devices. */
    public static final int PORT_ALLOCATION_END = 0x1_0000;

    // ---- compatibility devices: QEMU's, where guests written for QEMU expect them (Multiboot kernels)

    /** fw_cfg's selector and data ports, QEMU's on a PC. */
    public static final AddressRange FW_CFG = new AddressRange(0x510, FwCfg.PORTS);
    /** pc-testdev's scratch register and flush-page ports. */
    public static final AddressRange TESTDEV_PORTS = new AddressRange(0xe0, TestDevPorts.PORTS);
    /** pc-testdev's interrupt-line ports, one per IOAPIC pin (port 0x2000 + n drives GSI n). */
    public static final AddressRange TESTDEV_IRQ_LINES = new AddressRange(0x2000, TestDevIrqLines.LINES);
    /** pc-testdev's memory behind exits, above the IOAPIC and LAPIC and below KVM's pages. */
    public static final AddressRange TESTDEV_MEMORY = new AddressRange(0xff00_0000L, TestDevMemory.SIZE);
    /** The ACPI PM timer, at QEMU's PIIX4/ICH9 place (PM base 0x600 + 8); the FADT names it. */
    public static final AddressRange PM_TIMER = new AddressRange(0x608, PmTimer.LENGTH);
    /** The ACPI PM1a event block (PM1_STS, PM1_EN); the FADT names it (0x600, QEMU's place, has the power ports). */
    public static final AddressRange PM1_EVENT = new AddressRange(0x620, Pm1Registers.EVENT_LENGTH);
    /** The ACPI PM1a control block (PM1_CNT: SLP_TYP, SLP_EN); the FADT names it. */
    public static final AddressRange PM1_CONTROL = new AddressRange(0x624, Pm1Registers.CONTROL_LENGTH);
    /** The CMOS real-time clock's index and data ports, a PC's. */
    public static final AddressRange RTC = new AddressRange(0x70, CmosRtc.PORTS);

    /** Where Linux's boot data goes. */
    public static final LinuxBoot.Layout LINUX = new LinuxBoot.Layout(GDT, ZERO_PAGE, LINUX_STACK, LINUX_PAGE_TABLES,
            CMDLINE, CMDLINE_AREA, KVM_TSS, KVM_IDENTITY_MAP,
            new AcpiTables.Layout((int) ACPI_POWER.base(), (int) COM1.base(), COM1_GSI));

    /** Where a Multiboot kernel's ACPI tables say the devices are: Linux's, the PM timer and the PM1 blocks. */
    public static final AcpiTables.Layout MULTIBOOT_ACPI = new AcpiTables.Layout((int) ACPI_POWER.base(),
            (int) COM1.base(), COM1_GSI, (int) PM_TIMER.base(), (int) PM1_EVENT.base(), (int) PM1_CONTROL.base());

    private MemoryMap() {}

    /**
     * The i-th virtio-mmio slot.
     *
     * @param index 0 to {@link #MAX_VIRTIO_SLOTS} - 1
     * @return its window and GSI
     */
    public static VirtioMmioSlot virtioSlot(int index) {
        if (index < 0 || index >= MAX_VIRTIO_SLOTS) {
            throw new IllegalArgumentException("virtio slot " + index + " is not 0 to " + (MAX_VIRTIO_SLOTS - 1));
        }
        return new VirtioMmioSlot(VIRTIO_BASE + index * VIRTIO_SLOT_SIZE, VIRTIO_SLOT_SIZE, VIRTIO_GSI + index);
    }

    /** One row of {@link #table()}. */
    record Row(String where, String what) {}

    /**
     * The memory and port map as Markdown table rows ({@code | where | what |}), the source of the
     * tables in docs/machine.md.
     *
     * @return the rows, addresses first, then ports
     */
    public static List<String> table() {
        List<Row> rows = List.of(
                new Row(hex(GDT), "GDT (raw long mode; Linux's boot GDT)"),
                new Row(hex(PARAMS), "raw payloads: parameter block (magic 0x" + Integer.toHexString(PARAMS_MAGIC) + ")"),
                new Row(hex(RAW_PAGE_TABLES), "raw long mode: page tables (PML4, PDPT, 4 page directories: 4 GiB 1:1)"),
                new Row(hex(REAL_MODE_STACK), "raw real mode: initial sp; Linux: zero page"),
                new Row(hex(REAL_MODE_ENTRY), "raw real mode: payload load and entry address"),
                new Row(hex(LINUX_STACK), "Linux: initial rsp"),
                new Row(hex(LINUX_PAGE_TABLES), "Linux: identity page tables (4 GiB)"),
                new Row(hex(CMDLINE), "Linux: kernel command line (" + (CMDLINE_AREA >> 10) + " KiB)"),
                new Row(hex(LONG_MODE_STACK), "raw long mode: rsp of vCPU 0 (vCPU n: minus n * " + hex(STACK_STRIDE) + ")"),
                new Row(hex(LONG_MODE_ENTRY), "raw long mode: payload load and entry address"),
                new Row(hex(MMIO_HOLE), "MMIO hole up to 4 GiB; RAM beyond it continues at 4 GiB"),
                new Row(hex(PHASE_MARKER.base()), "phase marker: writing N (0 to " + (PhaseAccounting.MAX_PHASES - 1)
                        + ") at offset 0 begins phase N (" + hex(PHASE_MARKER.size()) + ")"),
                new Row(hex(BOOT_TIMER.base()), "boot-time marker (" + hex(BOOT_TIMER.size()) + ")"),
                new Row(hex(VIRTIO_BASE), "virtio-mmio slot i at + i * " + hex(VIRTIO_SLOT_SIZE) + ", GSI "
                        + VIRTIO_GSI + " + i, " + MAX_VIRTIO_SLOTS + " slots"),
                new Row(hex(MMIO_ALLOCATION_BASE), "callers' MMIO devices without an address, up to " + hex(MMIO_ALLOCATION_END)),
                new Row(hex(TESTDEV_MEMORY.base()), "Multiboot: pc-testdev memory (" + hex(TESTDEV_MEMORY.size()) + ")"),
                new Row(hex(KVM_IDENTITY_MAP), "KVM identity-map page (Intel hosts)"),
                new Row(hex(KVM_TSS), "KVM TSS, three pages (Intel hosts)"),
                new Row("port " + range(TESTDEV_PORTS), "Multiboot: pc-testdev scratch register (0xe0, 0xe8) and flush page (0xe4)"),
                new Row("port " + range(DEBUG_EXIT), "debug exit"),
                new Row("port " + range(I8042), "i8042 (reset line)"),
                new Row("port " + range(RTC), "Multiboot: CMOS RTC index, data"),
                new Row("port " + range(ATA_PIO), "ATA-PIO block device"),
                new Row("port " + range(COM1), "COM1 8250 UART, GSI " + COM1_GSI),
                new Row("port " + range(FW_CFG), "Multiboot: fw_cfg selector, data"),
                new Row("port " + range(ACPI_POWER), "ACPI sleep control, sleep status, reset (every machine; the FADT describes them)"),
                new Row("port " + range(PM_TIMER), "Multiboot: ACPI PM timer (the FADT's PM_TMR_BLK)"),
                new Row("port " + range(PM1_EVENT), "Multiboot: ACPI PM1a event block, PM1_STS and PM1_EN (the FADT's PM1a_EVT_BLK)"),
                new Row("port " + range(PM1_CONTROL), "Multiboot: ACPI PM1a control block, PM1_CNT: S3 and S5 (the FADT's PM1a_CNT_BLK)"),
                new Row("port " + range(PHASE_MARKER_PORT), "phase marker (the same register, for real-mode guests)"),
                new Row("port " + range(TESTDEV_IRQ_LINES), "Multiboot: pc-testdev interrupt lines (port 0x2000 + n: GSI n)"),
                new Row("port " + hex(PORT_ALLOCATION_BASE), "callers' port devices without a port, up to " + hex(PORT_ALLOCATION_END)));
        return rows.stream().map(r -> "| " + r.where() + " | " + r.what() + " |").toList();
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    private static String range(AddressRange range) {
        return range.size() == 1 ? hex(range.base()) : hex(range.base()) + "-" + hex(range.base() + range.size() - 1);
    }
}
