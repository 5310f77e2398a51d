package org.jvmm.cli.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.jvmm.core.stats.Phase;
import org.jvmm.machine.BuiltinGuests;
import org.jvmm.machine.VirtioPaths;
import org.junit.jupiter.api.Test;

/**
 * The pieces of {@code compare --workload linux} that need no KVM: the initramfs jvmm appends, the
 * init script's agreement with the host side, the host-side checks of what arrived, the parse of
 * the init's report and the rows built from phases.
 */
class LinuxComparisonTest {

    /** One entry of a newc archive, read back independently of {@link Cpio}. */
    record Entry(int offset, String name, int mode, int nlink, byte[] data) {}

    static List<Entry> readCpio(byte[] archive, int from) {
        List<Entry> entries = new ArrayList<>();
        int at = from;
        while (true) {
            assertEquals(0, at % 4, "every header starts on a 4-byte boundary");
            String header = new String(archive, at, 110, StandardCharsets.US_ASCII);
            assertEquals("070701", header.substring(0, 6), "newc magic at " + at);
            int mode = Integer.parseInt(header.substring(14, 22), 16);
            int nlink = Integer.parseInt(header.substring(38, 46), 16);
            int size = Integer.parseInt(header.substring(54, 62), 16);
            int nameSize = Integer.parseInt(header.substring(94, 102), 16);
            String name = new String(archive, at + 110, nameSize - 1, StandardCharsets.UTF_8);
            assertEquals(0, archive[at + 110 + nameSize - 1], "the name ends in NUL");
            int data = (at + 110 + nameSize + 3) / 4 * 4;
            entries.add(new Entry(at, name, mode, nlink, Arrays.copyOfRange(archive, data, data + size)));
            at = (data + size + 3) / 4 * 4;
            if (name.equals("TRAILER!!!")) {
                assertEquals(archive.length, at, "nothing after the trailer");
                return entries;
            }
        }
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = BuiltinGuests.patternByte(i);
        }
        return b;
    }

    private static String script() throws IOException {
        try (InputStream in = LinuxComparison.class.getResourceAsStream("linux-init.sh")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void jvmmsArchiveFollowsTheBaseOnA4ByteBoundaryAndReplacesInit() throws IOException {
        byte[] base = {0x1f, (byte) 0x8b, 8, 0, 1}; // stands for a gzip'd archive of 5 bytes
        byte[] pattern = pattern(100);
        byte[] all = LinuxComparison.initramfs(base, pattern);
        assertArrayEquals(base, Arrays.copyOf(all, 5));
        assertArrayEquals(new byte[3], Arrays.copyOfRange(all, 5, 8), "zeros up to the boundary, which Linux skips");
        List<Entry> entries = readCpio(all, 8);
        assertEquals(List.of("init", "jvmm", "jvmm/pattern", "TRAILER!!!"), entries.stream().map(Entry::name).toList());
        assertEquals(0100755, entries.get(0).mode());
        assertArrayEquals(script().getBytes(StandardCharsets.UTF_8), entries.get(0).data());
        assertEquals(0040755, entries.get(1).mode());
        assertEquals(2, entries.get(1).nlink());
        assertEquals(0100644, entries.get(2).mode());
        assertArrayEquals(pattern, entries.get(2).data());
        assertEquals(4, new HashSet<>(entries.stream().map(Entry::offset).toList()).size());
    }

    @Test
    void theInitMarksThePhasesAndReadsTheParametersTheHostGives() throws IOException {
        String init = script();
        assertTrue(init.startsWith("#!/bin/busybox sh\n"), "runs from the base initramfs's busybox");
        for (int phase : new int[] {LinuxComparison.PHASE_OTHER, LinuxComparison.PHASE_TTYS0, LinuxComparison.PHASE_HVC0,
            LinuxComparison.PHASE_VDA}) {
            assertTrue(init.contains("\n    mark " + phase + "\n") || init.contains("\nmark " + phase + "\n"),
                    "the init marks phase " + phase);
        }
        assertTrue(init.indexOf("mark 1") < init.indexOf("cat /jvmm/pattern >&4"), "ttyS0's bytes inside phase 1");
        assertTrue(init.indexOf("mark 2") < init.indexOf("cat /jvmm/pattern >&5"), "hvc0's bytes inside phase 2");
        assertTrue(init.indexOf("mark 3") < init.indexOf("iflag=direct"), "the disk read inside phase 3");
        for (String parameter : List.of("jvmm_marker", "jvmm_bytes", "jvmm_blk_bytes", "jvmm_blk_bs", "jvmm_do")) {
            assertTrue(init.contains(parameter), "the init uses " + parameter);
        }
    }

    @Test
    void ttyS0CountsOnlyWhenExactlyThePatternSitsBetweenTheLines() {
        byte[] pattern = pattern(200);
        byte[] good = concat("boot noise\njvmm-linux: x\nJVMM-BEGIN ttyS0\n", pattern, "JVMM-END ttyS0\njvmm-linux: done\n");
        assertTrue(LinuxComparison.ttyS0Arrived(good, pattern));
        byte[] flipped = good.clone();
        flipped[60] ^= 1;
        assertFalse(LinuxComparison.ttyS0Arrived(flipped, pattern), "one byte changed");
        assertFalse(LinuxComparison.ttyS0Arrived(concat("JVMM-BEGIN ttyS0\n", Arrays.copyOf(pattern, 199),
                "JVMM-END ttyS0\n"), pattern), "one byte short");
        assertFalse(LinuxComparison.ttyS0Arrived(concat("JVMM-BEGIN ttyS0\n", pattern, "\r\nJVMM-END ttyS0\n"), pattern),
                "a newline translated on the way");
        assertFalse(LinuxComparison.ttyS0Arrived(concat("", pattern, "JVMM-END ttyS0\n"), pattern), "no begin line");
        assertFalse(LinuxComparison.ttyS0Arrived(concat("JVMM-BEGIN ttyS0\n", pattern, ""), pattern), "no end line");
    }

    private static byte[] concat(String before, byte[] middle, String after) {
        byte[] b = before.getBytes(StandardCharsets.ISO_8859_1);
        byte[] a = after.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = Arrays.copyOf(b, b.length + middle.length + a.length);
        System.arraycopy(middle, 0, all, b.length, middle.length);
        System.arraycopy(a, 0, all, b.length + middle.length, a.length);
        return all;
    }

    @Test
    void theInitsReportIsParsedAndAnythingElseIgnored() {
        String console = "[    0.1] kernel noise\r\njvmm-linux: ttyS0 guest_ns=1500000 uart=16550A\n"
                + "\u0000\u0001binary\njvmm-linux: vda guest_ns=zz rc=0 md5=abc bytes=65536\n"
                + "jvmm-linux: error dd: short read\njvmm-linux: done\n";
        InitLog log = InitLog.parse(console.getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(log.done());
        assertEquals(1.5, log.guestMs("ttyS0"), 1e-9);
        assertEquals("16550A", log.field("ttyS0", "uart"));
        assertNull(log.guestMs("vda"), "a guest_ns that is not a number");
        assertEquals("abc", log.field("vda", "md5"));
        assertNull(log.field("hvc0", "guest_ns"));
        assertEquals(List.of("dd: short read"), log.errors());
        assertFalse(log.tail().contains("binary"), "unprintable lines stay out of notes: " + log.tail());
        assertFalse(InitLog.parse("jvmm-linux: ttyS0 guest_ns=1\n".getBytes(StandardCharsets.ISO_8859_1)).done());
    }

    private static Phase phase(int number, long user, long kvm, long wallNanos) {
        return new Phase(number, 1, wallNanos, user, Map.of("IO", user), Map.of("IO", user * 1000),
                Map.of("com1", user), List.of(user), Map.of("vcpu.exits", kvm, "vcpu.irq_injections", 4L));
    }

    @Test
    void rowsComeFromTheirPhaseAndAreComparedWithTheTtyS0Row() {
        Row tty = Row.ofPhase(LinuxComparison.CONSOLE, LinuxComparison.TTYS0_ROW, phase(1, 78_000, 90_000, 4_000_000_000L),
                65536, true, 3900.0, List.of("8250"));
        Row hvc = Row.ofPhase(LinuxComparison.CONSOLE, "hvc0 notify=exit irq=line event-idx=on", phase(2, 64, 300, 50_000_000),
                65536, true, 45.0, List.of("virtio")).against(tty);
        assertEquals(78_000 / 64.0, tty.userExitsPerKib(), 1e-9);
        assertEquals(78_000.0 / 64, hvc.userReduction(), 1e-9);
        assertEquals(90_000.0 / 300, hvc.kvmReduction(), 1e-9);
        assertEquals(45.0, hvc.guestMs());
        assertEquals(50.0, hvc.wallMs(), 1e-9);
        assertEquals("virtio", hvc.note());
        Row unverified = Row.ofPhase(LinuxComparison.CONSOLE, "hvc0 x", phase(2, 64, 300, 1), 65536, false, null,
                List.of("got 3 bytes")).against(tty);
        assertEquals(0, unverified.bytes());
        assertNull(unverified.userReduction(), "a row that did not check out has no reduction");
        assertTrue(CompareTable.title(LinuxComparison.CONSOLE).startsWith("-- Linux console output"));
    }

    @Test
    void everyMachineHasItsOwnPathsAndTheDiskBlockSizeDividesTheDisk() {
        List<VirtioPaths> machines = LinuxComparison.machines();
        assertEquals(8, machines.size());
        assertEquals(8, new HashSet<>(machines).size());
        assertEquals(8, machines.stream().map(LinuxComparison::pathsName).distinct().count());
        assertEquals(65536, LinuxComparison.blockSize(4 << 20));
        assertEquals(4096, LinuxComparison.blockSize(12288));
        assertEquals(512, LinuxComparison.blockSize(1536));
    }
}
