package org.jvmm.core.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvmm.core.memory.GuestMemory;

/**
 * The ACPI tables jvmm generates for a Linux guest, laid out from {@link #RSDP_ADDRESS} on (inside
 * the legacy BIOS area, where a kernel that ignores {@code acpi_rsdp_addr} still finds the RSDP):
 * RSDP, XSDT, FADT, MADT and DSDT, each 16-byte aligned, with OEM id {@value #OEM_ID}; for a layout
 * with PM1 registers also a FACS, 64-byte aligned, after them.
 *
 * <p>Without PM1 registers in the {@link Layout} (Linux's machine) the platform is ACPI "hardware
 * reduced": no GPEs, no SCI, no fixed buttons. With them (the Multiboot machine) the FADT describes
 * fixed hardware: the PM1a event and control blocks, the FACS through FIRMWARE_CTRL and
 * X_FIRMWARE_CTRL, the CMOS RTC (no {@code NO_CMOS_RTC} boot flag), and the DSDT has {@code _S3_}
 * with SLP_TYP {@value #S3_SLEEP_TYPE} (QEMU's value, which kvm-unit-tests' s3 writes without reading
 * the DSDT) besides {@code _S5_}. The FACS is version 0 (ACPI 1.0's layout, as QEMU builds it): its
 * waking vector is the 32-bit real-mode one.
 * Reboot and power-off go through a block of three 8-bit I/O ports, wherever the {@link Layout}
 * puts it, that the machine must decode:
 * <ul>
 *   <li>{@link #SLEEP_CONTROL} (offset 0): the FADT's sleep control register. Linux powers off by
 *       writing {@code SLP_EN | (SLP_TYP << 2)} with the SLP_TYP of the DSDT's {@code _S5_} (5),
 *       that is {@link #POWEROFF_VALUE} 0x34.</li>
 *   <li>{@link #SLEEP_STATUS} (offset 1): the sleep status register; reads 0.</li>
 *   <li>{@link #RESET} (offset 2): the FADT's reset register; Linux reboots by writing
 *       {@link #RESET_VALUE} 0x01 there.</li>
 * </ul>
 * {@link #powerAction} decodes those writes.
 */
public final class AcpiTables {

    /** The OEM id in every table header. */
    public static final String OEM_ID = "JVMM  ";
    /** Where the RSDP goes. */
    public static final long RSDP_ADDRESS = 0xe_0000;
    /** The tables must end below 1 MiB (the e820 map reserves 0xE0000-0xFFFFF for them). */
    public static final long AREA_END = 0x10_0000;
    /** Offset of the FADT's sleep control register in the power port block. */
    public static final int SLEEP_CONTROL = 0;
    /** Offset of the FADT's sleep status register in the power port block. */
    public static final int SLEEP_STATUS = 1;
    /** Offset of the FADT's reset register in the power port block. */
    public static final int RESET = 2;
    /** Ports in the power port block. */
    public static final int POWER_PORTS = 3;
    /** What the guest writes to {@link #RESET} to reboot. */
    public static final int RESET_VALUE = 0x01;
    /** SLP_TYP of the S5 (soft-off) state in the DSDT's {@code _S5_}. */
    public static final int S5_SLEEP_TYPE = 5;
    /** SLP_TYP of the S3 (suspend to RAM) state in the DSDT's {@code _S3_}, for a layout with PM1 registers. */
    public static final int S3_SLEEP_TYPE = 1;
    /** Bytes of the FACS. */
    public static final int FACS_SIZE = 64;
    /** Offset of the FACS's (32-bit, real-mode) firmware waking vector. */
    public static final int FACS_WAKING_VECTOR = 12;
    /** {@code PM1_EVT_LEN}: bytes of the PM1a event block. */
    public static final int PM1_EVENT_LENGTH = 4;
    /** {@code PM1_CNT_LEN}: bytes of the PM1a control block. */
    public static final int PM1_CONTROL_LENGTH = 2;
    /** The SCI's ISA IRQ the FADT names where it has PM1 registers (none is raised). */
    public static final int SCI_IRQ = 9;
    /** What Linux writes to {@link #SLEEP_CONTROL} to power off: SLP_EN (bit 5) | SLP_TYP 5 &lt;&lt; 2. */
    public static final int POWEROFF_VALUE = 0x20 | (S5_SLEEP_TYPE << 2);
    /** The local APIC address in the MADT. */
    public static final long LOCAL_APIC_ADDRESS = 0xfee0_0000L;
    /** The IOAPIC address in the MADT. */
    public static final long IOAPIC_ADDRESS = 0xfec0_0000L;
    /** Ports of the 8250 UART the DSDT describes. */
    public static final int UART_PORTS = 8;

    static final int HEADER_SIZE = 36;
    static final int RSDP_SIZE = 36;
    static final int FADT_SIZE = 276;
    private static final int FADT_HW_REDUCED = 1 << 20;
    private static final int FADT_RESET_REG_SUP = 1 << 10;
    private static final int FADT_PWR_BUTTON = 1 << 4;
    private static final int FADT_SLP_BUTTON = 1 << 5;
    private static final int FADT_TMR_VAL_EXT = 1 << 8;
    private static final int FADT_WBINVD = 1;
    private static final int FACS_ALIGNMENT = 64;
    private static final int PM_TIMER_LENGTH = 4;
    private static final int BOOT_ARCH_NO_VGA = 1 << 2;
    private static final int BOOT_ARCH_NO_CMOS_RTC = 1 << 5;
    private static final int MAX_XAPIC_VCPUS = 254;

    /**
     * Where the machine put the devices the tables describe.
     *
     * @param powerPorts the first port of the power port block ({@link #POWER_PORTS} ports)
     * @param com1Port   COM1's I/O base
     * @param com1Irq    COM1's IRQ
     * @param pmTimerPort the ACPI PM timer's 4-byte port block, which the FADT names in
     *                    {@code PM_TMR_BLK} and {@code X_PM_TMR_BLK} (32 bits wide: {@code TMR_VAL_EXT});
     *                    0 for a machine without one (the FADT's fields stay 0)
     * @param pm1EventPort   the PM1a event block ({@link #PM1_EVENT_LENGTH} ports); 0 for a hardware-reduced
     *                       machine, which then has no PM1 control block and no FACS either
     * @param pm1ControlPort the PM1a control block ({@link #PM1_CONTROL_LENGTH} ports); 0 when
     *                       {@code pm1EventPort} is
     */
    public record Layout(int powerPorts, int com1Port, int com1Irq, int pmTimerPort, int pm1EventPort,
                         int pm1ControlPort) {

        /**
         * Checks that the PM1 blocks come together.
         *
         * @param powerPorts     the power port block
         * @param com1Port       COM1's I/O base
         * @param com1Irq        COM1's IRQ
         * @param pmTimerPort    the PM timer, or 0
         * @param pm1EventPort   the PM1a event block, or 0
         * @param pm1ControlPort the PM1a control block, or 0
         */
        public Layout {
            if ((pm1EventPort == 0) != (pm1ControlPort == 0)) {
                throw new IllegalArgumentException("PM1 event and control blocks come together");
            }
        }

        /**
         * A hardware-reduced machine with or without a PM timer.
         *
         * @param powerPorts  the first port of the power port block
         * @param com1Port    COM1's I/O base
         * @param com1Irq     COM1's IRQ
         * @param pmTimerPort the PM timer, or 0
         */
        public Layout(int powerPorts, int com1Port, int com1Irq, int pmTimerPort) {
            this(powerPorts, com1Port, com1Irq, pmTimerPort, 0, 0);
        }

        /** {@return whether the machine has PM1 registers, hence a FACS and no HW_REDUCED flag} */
        public boolean hasPm1() {
            return pm1EventPort != 0;
        }

        /**
         * A machine without a PM timer.
         *
         * @param powerPorts the first port of the power port block
         * @param com1Port   COM1's I/O base
         * @param com1Irq    COM1's IRQ
         */
        public Layout(int powerPorts, int com1Port, int com1Irq) {
            this(powerPorts, com1Port, com1Irq, 0);
        }
    }

    /** What a write to one of the power ports asks for. */
    public enum PowerAction {
        /** Nothing: not a power port, or a value that means nothing. */
        NONE,
        /** Power off (S5). */
        POWEROFF,
        /** Reboot. */
        RESET
    }

    /**
     * The tables, ready to copy into guest memory.
     *
     * @param base   guest-physical address of the first byte (the RSDP)
     * @param bytes  all tables, laid out from {@code base}
     * @param tables each table's signature and guest-physical address, RSDP first
     */
    public record Tables(long base, byte[] bytes, Map<String, Long> tables) {

        /**
         * Copies the array and map.
         *
         * @param base   address of the first byte
         * @param bytes  the tables
         * @param tables signature to address
         */
        public Tables {
            bytes = bytes.clone();
            tables = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tables));
        }

        /** {@return a copy of the tables' bytes} */
        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        /** {@return the RSDP's address, for the zero page's acpi_rsdp_addr} */
        public long rsdp() {
            return tables.get("RSD PTR ");
        }

        /**
         * One table's bytes.
         *
         * @param signature e.g. "FACP" or "RSD PTR "
         * @return a copy of the table, its length from its header (36 for the RSDP)
         */
        public byte[] table(String signature) {
            int offset = (int) (tables.get(signature) - base);
            int length = signature.equals("RSD PTR ") ? RSDP_SIZE
                    : ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(offset + 4);
            return java.util.Arrays.copyOfRange(bytes, offset, offset + length);
        }

        /**
         * Writes the tables into guest memory.
         *
         * @param memory guest RAM that covers the BIOS area
         */
        public void writeTo(GuestMemory memory) {
            memory.write(base, bytes);
        }
    }

    private AcpiTables() {}

    /**
     * Builds the tables.
     *
     * @param cpus  number of vCPUs; APIC ids 0 to cpus - 1
     * @param slots  the virtio-mmio windows to describe in the DSDT
     * @param layout where the machine's other devices are
     * @return the tables at {@link #RSDP_ADDRESS}
     * @throws BootException TOO_MANY_VCPUS or ACPI_TABLES_TOO_LARGE
     */
    public static Tables build(int cpus, List<VirtioMmioSlot> slots, Layout layout) {
        if (cpus < 1 || cpus > MAX_XAPIC_VCPUS) {
            throw new BootException(BootError.TOO_MANY_VCPUS, cpus + " vCPUs");
        }
        long base = RSDP_ADDRESS;
        long xsdt = align(base + RSDP_SIZE);
        long fadt = align(xsdt + HEADER_SIZE + 2 * 8);
        byte[] madt = madt(cpus);
        long madtAt = align(fadt + FADT_SIZE);
        byte[] dsdt = dsdt(slots, layout);
        long dsdtAt = align(madtAt + madt.length);
        long facs = layout.hasPm1() ? alignFacs(dsdtAt + dsdt.length) : 0;
        long end = layout.hasPm1() ? facs + FACS_SIZE : dsdtAt + dsdt.length;
        if (end > AREA_END) {
            throw new BootException(BootError.ACPI_TABLES_TOO_LARGE, String.format("they end at 0x%x", end));
        }
        ByteBuffer out = ByteBuffer.allocate((int) (end - base)).order(ByteOrder.LITTLE_ENDIAN);
        out.put(0, rsdp(xsdt));
        out.put((int) (xsdt - base), xsdt(fadt, madtAt));
        out.put((int) (fadt - base), fadt(dsdtAt, facs, layout));
        out.put((int) (madtAt - base), madt);
        out.put((int) (dsdtAt - base), dsdt);
        if (facs != 0) {
            out.put((int) (facs - base), facs());
        }
        Map<String, Long> where = new LinkedHashMap<>();
        where.put("RSD PTR ", base);
        where.put("XSDT", xsdt);
        where.put("FACP", fadt);
        where.put("APIC", madtAt);
        where.put("DSDT", dsdtAt);
        if (facs != 0) {
            where.put("FACS", facs);
        }
        return new Tables(base, out.array(), where);
    }

    /**
     * Decodes a guest write to the power ports.
     *
     * @param offset the port written, as an offset into the power port block
     * @param value  the value written
     * @return what the guest asks for
     */
    public static PowerAction powerAction(long offset, long value) {
        if (offset == RESET && (value & 0xff) == RESET_VALUE) {
            return PowerAction.RESET;
        }
        if (offset == SLEEP_CONTROL && (value & 0x20) != 0 && ((value >> 2) & 7) == S5_SLEEP_TYPE) {
            return PowerAction.POWEROFF;
        }
        return PowerAction.NONE;
    }

    private static long align(long address) {
        return (address + 15) & ~15L;
    }

    private static long alignFacs(long address) {
        return (address + FACS_ALIGNMENT - 1) & -FACS_ALIGNMENT;
    }

    static byte[] rsdp(long xsdt) {
        ByteBuffer b = ByteBuffer.allocate(RSDP_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, ascii("RSD PTR "));
        b.put(9, ascii(OEM_ID));
        b.put(15, (byte) 2);
        b.putInt(20, RSDP_SIZE);
        b.putLong(24, xsdt);
        byte[] bytes = b.array();
        bytes[8] = checksum(bytes, 0, 20);
        bytes[32] = checksum(bytes, 0, RSDP_SIZE);
        return bytes;
    }

    private static ByteBuffer header(String signature, int length, int revision) {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, ascii(signature));
        b.putInt(4, length);
        b.put(8, (byte) revision);
        b.put(10, ascii(OEM_ID));
        b.put(16, ascii(("JVMM" + signature)));
        b.putInt(24, 1);
        b.put(28, ascii("JVMM"));
        b.putInt(32, 1);
        return b;
    }

    private static byte[] finish(ByteBuffer b) {
        byte[] bytes = b.array();
        bytes[9] = 0;
        bytes[9] = checksum(bytes, 0, bytes.length);
        return bytes;
    }

    static byte[] xsdt(long... tables) {
        ByteBuffer b = header("XSDT", HEADER_SIZE + 8 * tables.length, 1);
        for (int i = 0; i < tables.length; i++) {
            b.putLong(HEADER_SIZE + 8 * i, tables[i]);
        }
        return finish(b);
    }

    static byte[] fadt(long dsdt, long facs, Layout layout) {
        int powerPorts = layout.powerPorts();
        int pmTimerPort = layout.pmTimerPort();
        ByteBuffer b = header("FACP", FADT_SIZE, 6);
        b.putInt(40, (int) dsdt);
        int flags = FADT_RESET_REG_SUP | FADT_PWR_BUTTON | FADT_SLP_BUTTON;
        if (layout.hasPm1()) {
            // SMI_CMD stays 0: ACPI is always enabled (SCI_EN reads 1).
            b.putInt(36, (int) facs);
            b.putShort(46, (short) SCI_IRQ);
            b.putInt(56, layout.pm1EventPort());
            b.putInt(64, layout.pm1ControlPort());
            b.put(88, (byte) PM1_EVENT_LENGTH);
            b.put(89, (byte) PM1_CONTROL_LENGTH);
            b.putShort(109, (short) BOOT_ARCH_NO_VGA);
            b.putLong(132, facs);
            putIoBlock(b, 148, layout.pm1EventPort(), PM1_EVENT_LENGTH);
            putIoBlock(b, 172, layout.pm1ControlPort(), PM1_CONTROL_LENGTH);
            flags |= FADT_WBINVD;
        } else {
            b.putShort(109, (short) (BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS_RTC));
            flags |= FADT_HW_REDUCED;
        }
        if (pmTimerPort != 0) {
            // kvm-unit-tests reads PM_TMR_BLK (vmexit's inl_from_pmtimer); ACPI 2.0+ readers X_PM_TMR_BLK.
            b.putInt(76, pmTimerPort);
            b.put(91, (byte) PM_TIMER_LENGTH);
            flags |= FADT_TMR_VAL_EXT;
            b.put(208, (byte) 1);
            b.put(209, (byte) 32);
            b.put(211, (byte) 3);
            b.putLong(212, pmTimerPort);
        }
        b.putInt(112, flags);
        putIoRegister(b, 116, powerPorts + RESET);
        b.put(128, (byte) RESET_VALUE);
        b.put(131, (byte) 5);
        b.putLong(140, dsdt);
        if (!layout.hasPm1()) {
            // Sleep registers are the hardware-reduced ACPI's; fixed hardware sleeps through PM1_CNT.
            putIoRegister(b, 244, powerPorts + SLEEP_CONTROL);
            putIoRegister(b, 256, powerPorts + SLEEP_STATUS);
        }
        b.put(268, ascii("JVMMJVMM"));
        return finish(b);
    }

    /** A Generic Address Structure for a block of I/O ports, {@code length} bytes wide (access size unspecified). */
    private static void putIoBlock(ByteBuffer b, int at, int port, int length) {
        b.put(at, (byte) 1);
        b.put(at + 1, (byte) (8 * length));
        b.putLong(at + 4, port);
    }

    /** The FACS: signature, length, the rest 0 (the guest writes the waking vector; no global lock). */
    static byte[] facs() {
        ByteBuffer b = ByteBuffer.allocate(FACS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, ascii("FACS"));
        b.putInt(4, FACS_SIZE);
        return b.array();
    }

    /** A Generic Address Structure for one 8-bit I/O port. */
    private static void putIoRegister(ByteBuffer b, int at, int port) {
        b.put(at, (byte) 1);
        b.put(at + 1, (byte) 8);
        b.put(at + 2, (byte) 0);
        b.put(at + 3, (byte) 1);
        b.putLong(at + 4, port);
    }

    static byte[] madt(int cpus) {
        List<byte[]> entries = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            // Processor local APIC: UID i, APIC id i, enabled.
            entries.add(new byte[] {0, 8, (byte) i, (byte) i, 1, 0, 0, 0});
        }
        // IOAPIC id = cpus (distinct from every LAPIC), at IOAPIC_ADDRESS, GSI base 0.
        entries.add(Aml.concat(new byte[] {1, 12, (byte) cpus, 0}, Aml.le(IOAPIC_ADDRESS, 4), Aml.le(0, 4)));
        // Local APIC NMI: all processors, default flags, LINT1.
        entries.add(new byte[] {4, 6, (byte) 0xff, 0, 0, 1});
        byte[] body = Aml.concat(entries.toArray(byte[][]::new));
        ByteBuffer b = header("APIC", HEADER_SIZE + 8 + body.length, 5);
        b.putInt(36, (int) LOCAL_APIC_ADDRESS);
        b.putInt(40, 1); // PCAT_COMPAT: the in-kernel dual 8259 exists
        b.put(44, body);
        return finish(b);
    }

    static byte[] dsdt(List<VirtioMmioSlot> slots, Layout layout) {
        List<byte[]> devices = new ArrayList<>();
        devices.add(Aml.device("COM1",
                Aml.name("_HID", Aml.eisaId("PNP0501")),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name("_CRS", Aml.resourceTemplate(
                        Aml.io(layout.com1Port(), layout.com1Port(), 0, UART_PORTS),
                        Aml.irqNoFlags(layout.com1Irq())))));
        for (int i = 0; i < slots.size(); i++) {
            VirtioMmioSlot s = slots.get(i);
            devices.add(Aml.device(String.format("V%03X", i),
                    Aml.name("_HID", Aml.string("LNRO0005")),
                    Aml.name("_UID", Aml.integer(i)),
                    Aml.name("_CCA", Aml.integer(1)),
                    Aml.name("_CRS", Aml.resourceTemplate(
                            Aml.memory32Fixed(s.base(), s.size()),
                            Aml.interrupt(s.gsi(), true)))));
        }
        List<byte[]> body = new ArrayList<>();
        body.add(Aml.scope("\\_SB_", devices.toArray(byte[][]::new)));
        if (layout.hasPm1()) {
            body.add(Aml.name("_S3_", Aml.pkg(Aml.integer(S3_SLEEP_TYPE), Aml.integer(0))));
        }
        body.add(Aml.name("_S5_", Aml.pkg(Aml.integer(S5_SLEEP_TYPE), Aml.integer(0))));
        byte[] bytes = Aml.concat(body.toArray(byte[][]::new));
        ByteBuffer b = header("DSDT", HEADER_SIZE + bytes.length, 2);
        b.put(HEADER_SIZE, bytes);
        return finish(b);
    }

    static byte checksum(byte[] bytes, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
