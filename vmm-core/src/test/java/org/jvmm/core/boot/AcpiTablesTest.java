package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcpiTablesTest {

    private static final List<VirtioMmioSlot> TWO_SLOTS = List.of(TestLayout.slot(0), TestLayout.slot(1));

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int sum(byte[] bytes, int from, int to) {
        int s = 0;
        for (int i = from; i < to; i++) {
            s += bytes[i];
        }
        return s & 0xff;
    }

    private static String ascii(byte[] bytes, int from, int length) {
        return new String(bytes, from, length, StandardCharsets.US_ASCII);
    }

    @Test
    void everyTableHasAValidHeaderChecksumAndOemId() {
        AcpiTables.Tables tables = AcpiTables.build(2, TWO_SLOTS, TestLayout.ACPI);
        for (String signature : List.of("XSDT", "FACP", "APIC", "DSDT")) {
            byte[] t = tables.table(signature);
            assertEquals(signature, ascii(t, 0, 4));
            assertEquals(t.length, le(t).getInt(4), signature + " length");
            assertEquals(0, sum(t, 0, t.length), signature + " checksum");
            assertEquals("JVMM  ", ascii(t, 10, 6), signature + " OEM id");
            assertEquals("JVMM" + signature, ascii(t, 16, 8), signature + " OEM table id");
            assertEquals(0, tables.tables().get(signature) % 16, signature + " alignment");
        }
        assertTrue(tables.base() + tables.bytes().length <= AcpiTables.AREA_END);
    }

    @Test
    void rsdpPointsToTheXsdtWithBothChecksums() {
        AcpiTables.Tables tables = AcpiTables.build(1, List.of(), TestLayout.ACPI);
        byte[] rsdp = tables.table("RSD PTR ");
        assertEquals(AcpiTables.RSDP_ADDRESS, tables.rsdp());
        assertEquals("RSD PTR ", ascii(rsdp, 0, 8));
        assertEquals(0, sum(rsdp, 0, 20), "ACPI 1.0 checksum");
        assertEquals(0, sum(rsdp, 0, 36), "extended checksum");
        assertEquals(2, rsdp[15], "revision 2: has an XSDT");
        assertEquals(36, le(rsdp).getInt(20));
        assertEquals("JVMM  ", ascii(rsdp, 9, 6));
        assertEquals(tables.tables().get("XSDT"), le(rsdp).getLong(24));
        byte[] xsdt = tables.table("XSDT");
        assertEquals(36 + 16, xsdt.length);
        assertEquals(tables.tables().get("FACP"), le(xsdt).getLong(36));
        assertEquals(tables.tables().get("APIC"), le(xsdt).getLong(44));
    }

    @Test
    void fadtIsHardwareReducedWithResetAndSleepRegisters() {
        AcpiTables.Tables tables = AcpiTables.build(1, List.of(), TestLayout.ACPI);
        ByteBuffer f = le(tables.table("FACP"));
        assertEquals(276, f.capacity());
        assertEquals(6, f.get(8), "revision");
        int flags = f.getInt(112);
        assertTrue((flags & (1 << 20)) != 0, "HW_REDUCED_ACPI");
        assertTrue((flags & (1 << 10)) != 0, "RESET_REG_SUP");
        assertEquals(tables.tables().get("DSDT"), f.getLong(140), "X_DSDT");
        assertEquals(tables.tables().get("DSDT").intValue(), f.getInt(40), "DSDT");
        // GAS: system I/O, 8 bits, byte access, the port
        assertEquals(1, f.get(116));
        assertEquals(8, f.get(117));
        assertEquals(1, f.get(119));
        assertEquals(TestLayout.POWER_PORTS + AcpiTables.RESET, f.getLong(120));
        assertEquals(AcpiTables.RESET_VALUE, f.get(128));
        assertEquals(1, f.get(244));
        assertEquals(TestLayout.POWER_PORTS + AcpiTables.SLEEP_CONTROL, f.getLong(248));
        assertEquals(1, f.get(256));
        assertEquals(TestLayout.POWER_PORTS + AcpiTables.SLEEP_STATUS, f.getLong(260));
    }

    @Test
    void fadtNamesThePmTimerOnlyWhenTheMachineHasOne() {
        ByteBuffer none = le(AcpiTables.build(1, List.of(), TestLayout.ACPI).table("FACP"));
        assertEquals(0, none.getInt(76), "PM_TMR_BLK");
        assertEquals(0, none.get(91), "PM_TMR_LEN");
        assertEquals(0, none.getInt(112) & (1 << 8), "TMR_VAL_EXT");
        assertEquals(0, none.getLong(212), "X_PM_TMR_BLK address");

        AcpiTables.Layout withTimer = new AcpiTables.Layout(TestLayout.POWER_PORTS, TestLayout.COM1_PORT,
                TestLayout.COM1_IRQ, 0x608);
        byte[] fadt = AcpiTables.build(1, List.of(), withTimer).table("FACP");
        ByteBuffer f = le(fadt);
        assertEquals(0, sum(fadt, 0, fadt.length), "checksum");
        assertEquals(0x608, f.getInt(76), "PM_TMR_BLK");
        assertEquals(4, f.get(91), "PM_TMR_LEN");
        assertTrue((f.getInt(112) & (1 << 8)) != 0, "TMR_VAL_EXT: 32 bits");
        assertTrue((f.getInt(112) & (1 << 20)) != 0, "still hardware reduced");
        assertEquals(1, f.get(208), "X_PM_TMR_BLK: system I/O");
        assertEquals(32, f.get(209), "32 bits");
        assertEquals(3, f.get(211), "dword access");
        assertEquals(0x608, f.getLong(212));
    }

    @Test
    void withPm1RegistersTheFadtDescribesFixedHardwareAndTheFacs() {
        AcpiTables.Layout pm1 = new AcpiTables.Layout(TestLayout.POWER_PORTS, TestLayout.COM1_PORT,
                TestLayout.COM1_IRQ, 0x608, 0x620, 0x624);
        AcpiTables.Tables tables = AcpiTables.build(2, TWO_SLOTS, pm1);
        byte[] fadt = tables.table("FACP");
        ByteBuffer f = le(fadt);
        long facs = tables.tables().get("FACS");
        assertEquals(0, sum(fadt, 0, fadt.length), "checksum");
        assertEquals(0, f.getInt(112) & (1 << 20), "not hardware reduced");
        assertEquals(facs, f.getInt(36) & 0xffff_ffffL, "FIRMWARE_CTRL");
        assertEquals(facs, f.getLong(132), "X_FIRMWARE_CTRL");
        assertEquals(9, f.getShort(46), "SCI_INT");
        assertEquals(0, f.getInt(48), "SMI_CMD: ACPI always enabled");
        assertEquals(0x620, f.getInt(56), "PM1a_EVT_BLK");
        assertEquals(0x624, f.getInt(64), "PM1a_CNT_BLK");
        assertEquals(4, f.get(88), "PM1_EVT_LEN");
        assertEquals(2, f.get(89), "PM1_CNT_LEN");
        assertEquals(1, f.get(148), "X_PM1a_EVT_BLK: system I/O");
        assertEquals(32, f.get(149));
        assertEquals(0x620, f.getLong(152));
        assertEquals(1, f.get(172), "X_PM1a_CNT_BLK: system I/O");
        assertEquals(16, f.get(173));
        assertEquals(0x624, f.getLong(176));
        assertEquals(0, f.getShort(109) & (1 << 5), "there is a CMOS RTC");
        assertEquals(0, f.getLong(248), "no sleep control register");
        assertEquals(0x608, f.getInt(76), "the PM timer stays");

        byte[] bytes = tables.table("FACS");
        assertEquals("FACS", ascii(bytes, 0, 4));
        assertEquals(64, le(bytes).getInt(4));
        assertEquals(0, le(bytes).getInt(AcpiTables.FACS_WAKING_VECTOR));
        assertEquals(0, facs % 64, "64-byte aligned");
        long dsdt = tables.tables().get("DSDT");
        assertTrue(facs >= dsdt + tables.table("DSDT").length, "after the DSDT");
        assertEquals(tables.base() + tables.bytes().length, facs + 64, "the tables end with it");
        assertTrue(facs + 64 <= AcpiTables.AREA_END, "in the reserved BIOS area");
        assertTrue(ascii(tables.table("DSDT"), 0, tables.table("DSDT").length).contains("_S3_"), "DSDT names S3");
        byte[] xsdt = tables.table("XSDT");
        assertEquals(36 + 16, xsdt.length, "the FACS is not in the XSDT");
    }

    @Test
    void withoutPm1RegistersThereIsNoFacsAndNoS3() {
        AcpiTables.Tables tables = AcpiTables.build(1, List.of(), TestLayout.ACPI);
        assertEquals(null, tables.tables().get("FACS"));
        ByteBuffer f = le(tables.table("FACP"));
        assertEquals(0, f.getInt(36));
        assertEquals(0, f.getLong(132));
        assertEquals(0, f.getInt(56));
        assertTrue(!ascii(tables.table("DSDT"), 0, tables.table("DSDT").length).contains("_S3_"));
        assertThrows(IllegalArgumentException.class, () -> new AcpiTables.Layout(1, 2, 3, 4, 0x620, 0));
    }

    @Test
    void powerPortWritesDecode() {
        assertEquals(AcpiTables.PowerAction.POWEROFF, AcpiTables.powerAction(AcpiTables.SLEEP_CONTROL, 0x34));
        assertEquals(AcpiTables.PowerAction.NONE, AcpiTables.powerAction(AcpiTables.SLEEP_CONTROL, 0x14), "SLP_EN clear");
        assertEquals(AcpiTables.PowerAction.NONE, AcpiTables.powerAction(AcpiTables.SLEEP_CONTROL, 0x2c), "S3, not S5");
        assertEquals(AcpiTables.PowerAction.RESET, AcpiTables.powerAction(AcpiTables.RESET, 1));
        assertEquals(AcpiTables.PowerAction.NONE, AcpiTables.powerAction(AcpiTables.RESET, 2));
        assertEquals(AcpiTables.PowerAction.NONE, AcpiTables.powerAction(AcpiTables.SLEEP_STATUS, 1));
    }

    @Test
    void madtHasOneLocalApicPerVcpuAndTheIoApic() {
        byte[] madt = AcpiTables.build(3, List.of(), TestLayout.ACPI).table("APIC");
        ByteBuffer m = le(madt);
        assertEquals(0xfee0_0000, m.getInt(36), "local APIC address");
        assertEquals(1, m.getInt(40), "PCAT_COMPAT");
        List<int[]> lapics = new ArrayList<>();
        int ioapics = 0;
        int nmis = 0;
        for (int at = 44; at < madt.length; at += madt[at + 1]) {
            switch (madt[at]) {
                case 0 -> lapics.add(new int[] {madt[at + 2], madt[at + 3], m.getInt(at + 4)});
                case 1 -> {
                    ioapics++;
                    assertEquals(12, madt[at + 1]);
                    assertEquals(0xfec0_0000, m.getInt(at + 4));
                    assertEquals(0, m.getInt(at + 8), "GSI base");
                    assertEquals(3, madt[at + 2], "IOAPIC id after the LAPIC ids");
                }
                case 4 -> {
                    nmis++;
                    assertEquals(1, madt[at + 5], "LINT1");
                }
                default -> throw new AssertionError("unexpected MADT entry type " + madt[at]);
            }
        }
        assertEquals(3, lapics.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(new int[] {i, i, 1}, lapics.get(i), "UID, APIC id, enabled");
        }
        assertEquals(1, ioapics);
        assertEquals(1, nmis);
        assertEquals(BootError.TOO_MANY_VCPUS, assertThrows(BootException.class, () -> AcpiTables.build(255, List.of(), TestLayout.ACPI)).error());
        assertEquals(254 * 8 + 44 + 12 + 6, AcpiTables.build(254, List.of(), TestLayout.ACPI).table("APIC").length);
    }

    @Test
    void dsdtCarriesCom1AndOneVirtioDevicePerSlot() {
        byte[] dsdt = AcpiTables.build(1, TWO_SLOTS, TestLayout.ACPI).table("DSDT");
        String text = new String(dsdt, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("COM1"));
        assertTrue(text.contains("V000") && text.contains("V001"));
        assertEquals(2, text.split("LNRO0005", -1).length - 1);
        assertTrue(indexOf(dsdt, Aml.eisaId("PNP0501")) > 0);
        assertTrue(indexOf(dsdt, Aml.memory32Fixed(0xd000_1000L, 0x1000)) > 0, "slot 1's window");
        assertTrue(indexOf(dsdt, Aml.interrupt(6, true)) > 0, "slot 1's GSI");
        assertTrue(indexOf(dsdt, Aml.io(0x3f8, 0x3f8, 0, 8)) > 0);
        assertTrue(indexOf(dsdt, Aml.irqNoFlags(4)) > 0);
    }

    /** When Debian's acpica-tools is installed, its disassembler must read our DSDT back as what we meant. */
    @Test
    void iaslDisassemblesTheDsdt(@TempDir Path dir) throws Exception {
        String dsl = iaslDisassembly(dir, "dsdt", AcpiTables.build(1, TWO_SLOTS, TestLayout.ACPI).table("DSDT"), true);
        for (String expected : List.of(
                "DefinitionBlock (\"\", \"DSDT\", 2, \"JVMM \", \"JVMMDSDT\", 0x00000001)",
                "Scope (\\_SB) { Device (COM1) { Name (_HID, EisaId (\"PNP0501\") ) Name (_UID, Zero)",
                "IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08, ) IRQNoFlags () {4}",
                "Device (V001) { Name (_HID, \"LNRO0005\") Name (_UID, One) Name (_CCA, One)",
                "Memory32Fixed (ReadWrite, 0xD0001000, 0x00001000, )",
                "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 0x00000006, }",
                "Name (_S5, Package (0x02) { 0x05, Zero })")) {
            assertTrue(dsl.contains(expected), "missing '" + expected + "' in " + dsl);
        }
    }

    @Test
    void iaslDecodesTheFixedHardwareFadtAndTheS3State(@TempDir Path dir) throws Exception {
        AcpiTables.Tables tables = AcpiTables.build(1, List.of(), new AcpiTables.Layout(TestLayout.POWER_PORTS,
                TestLayout.COM1_PORT, TestLayout.COM1_IRQ, 0x608, 0x620, 0x624));
        String fadt = iaslDisassembly(dir, "facp", tables.table("FACP"), false);
        String facs = String.format("%08X", tables.tables().get("FACS"));
        for (String expected : List.of("FACS Address : " + facs, "FACS Address : 00000000" + facs,
                "PM1A Event Block Address : 00000620", "PM1A Control Block Address : 00000624",
                "PM1 Event Block Length : 04", "PM1 Control Block Length : 02", "SCI Interrupt : 0009",
                "Hardware Reduced (V5) : 0", "CMOS RTC Not Present (V5) : 0")) {
            assertTrue(fadt.contains(expected), "missing '" + expected + "' in " + fadt);
        }
        String dsdt = iaslDisassembly(dir, "dsdt", tables.table("DSDT"), true);
        assertTrue(dsdt.contains("Name (_S3, Package (0x02) { One, Zero })"), dsdt);
    }

    /** iasl's disassembly of one table, line comments dropped, block comments too if asked, blanks squeezed. */
    private static String iaslDisassembly(Path dir, String name, byte[] table, boolean dropBlockComments)
            throws Exception {
        Path iasl = Path.of("/usr/bin/iasl");
        Assumptions.assumeTrue(Files.isExecutable(iasl), "iasl not installed (apt-get install acpica-tools)");
        Path dat = dir.resolve(name + ".dat");
        Files.write(dat, table);
        Process p = new ProcessBuilder(iasl.toString(), "-d", dat.toString()).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String dsl = Files.readString(dir.resolve(name + ".dsl"));
        if (dropBlockComments) {
            dsl = dsl.replaceAll("/\\*(?s:.*?)\\*/", " ");
        }
        return dsl.replaceAll("//[^\n]*", " ").replaceAll("\\s+", " ");
    }

    @Test
    void amlEncodings() {
        assertArrayEquals(new byte[] {0x0c, 0x41, (byte) 0xd0, 0x05, 0x01}, Aml.eisaId("PNP0501"));
        assertArrayEquals(new byte[] {0x3f}, Aml.pkgLength(62));
        assertArrayEquals(new byte[] {0x41, 0x04}, Aml.pkgLength(63), "65 = 0x41: two bytes");
        assertArrayEquals(new byte[] {(byte) 0x4f, (byte) 0xff}, Aml.pkgLength(0xffd));
        assertArrayEquals(new byte[] {(byte) 0x81, 0x00, 0x01}, Aml.pkgLength(0xffe), "0x1001 needs three bytes");
        assertArrayEquals(new byte[] {0x5c, '_', 'S', 'B', '_'}, Aml.nameString("\\_SB_"));
        assertArrayEquals(new byte[] {0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1'}, Aml.nameString("_SB_.COM1"));
        assertArrayEquals(new byte[] {'_', 'S', '5', '_'}, Aml.nameString("_S5"));
        assertArrayEquals(new byte[] {0x00}, Aml.integer(0));
        assertArrayEquals(new byte[] {0x01}, Aml.integer(1));
        assertArrayEquals(new byte[] {0x0a, 5}, Aml.integer(5));
        assertArrayEquals(new byte[] {0x0b, 0x00, 0x10}, Aml.integer(0x1000));
        assertArrayEquals(new byte[] {0x0c, 0, 0, 0, (byte) 0xd0}, Aml.integer(0xd000_0000L));
        assertArrayEquals(new byte[] {0x0d, 'a', 'b', 0}, Aml.string("ab"));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameString("com1"));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
