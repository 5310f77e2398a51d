package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jvmm.cli.compare.LinuxComparison;
import org.jvmm.cli.compare.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code jvmm compare --workload linux} under real KVM with Debian's kernel from
 * scripts/env/fetch-guest.sh's cache (test.sh fetches it before the KVM tests), small sizes: every
 * row's bytes checked, and Linux's virtio_console at least 300x fewer user-space exits per KiB than
 * its 8250 driver. The costs docs/performance.md explains are bounds here: the 8250 driver's 19 port
 * exits per 16 bytes at least; hvc0 at most one notify and one interrupt (two MMIO exits) per 2 KiB
 * tty chunk, virtio_blk the same per 64 KiB request, with the notify gone on notify=ioeventfd; and
 * the phase marker's own exit.
 */
@Tag("kvm")
class CompareLinuxTest {

    @BeforeAll
    static void requireKvmAndKernel() {
        KvmRequirement.check();
        DebianGuest.require();
    }

    @Test
    void linuxsOwnDriversCheckOutAndVirtioConsoleCutsTheExitsOfThe8250() throws IOException {
        CompareCommand command = new CompareCommand();
        new CommandLine(command).parseArgs("--workload", "linux", "--bytes", "16384", "--blk-bytes", "262144");
        long start = System.nanoTime();
        List<Row> rows = command.measure();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        command.report(rows, new PrintStream(out, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        System.out.printf("compare --workload linux: %.1f s%n%s", (System.nanoTime() - start) / 1e9, table);

        List<Row> console = rows.stream().filter(r -> r.workload().equals(LinuxComparison.CONSOLE)).toList();
        List<Row> blk = rows.stream().filter(r -> r.workload().equals(LinuxComparison.BLK)).toList();
        assertEquals(1 + 8, console.size(), table);
        assertEquals(8, blk.size(), table);
        for (Row r : rows) {
            assertTrue(r.verified(), r.path() + ": " + r.note());
            assertEquals(r.workload().equals(LinuxComparison.BLK) ? 262144 : 16384, r.bytes(), r.path());
            assertTrue(r.userExits() > 0, r.path() + " counted its marker's exit at least: " + r);
            assertNotNull(r.guestMs(), r.path() + ": the guest timed its transfer");
        }
        Row tty = console.get(0);
        assertTrue(tty.path().startsWith("ttyS0"), table);
        assertTrue(tty.userByReason().getOrDefault("IO", 0L) >= 16384 / 16 * 19,
                "16 THR writes and IIR, LSR and MSR reads per 16 bytes at least: " + tty);
        for (Row r : console.subList(1, console.size())) {
            assertTrue(r.path().startsWith("hvc0"), r.path());
            assertNotNull(r.userReduction(), r.path());
            assertTrue(r.userReduction() >= 300, r.path() + ": " + r.userExitsPerKib() + " user exits/KiB against "
                    + tty.userExitsPerKib() + " for the 8250, " + Math.round(r.userReduction()) + "x\n" + table);
            assertAtMost(r, 16384 / 2048, table);
        }
        for (Row r : blk) {
            assertAtMost(r, 262144 / 65536, table);
        }
    }

    /**
     * At most, per transfer unit (a tty chunk, a disk request): a QueueNotify write unless ioeventfd
     * took it, and the interrupt handler's status read and acknowledgement; plus the marker's exit, and
     * room for one interrupt more (two exits), so that a stray one does not fail the run. Measured at
     * these sizes: 25 and 17 for hvc0, 13 and 9 for vda (docs/performance.md), each the bound less two.
     */
    private static void assertAtMost(Row r, int units, String table) {
        boolean notifyExits = !r.path().contains("notify=ioeventfd") || r.note().contains("no ioeventfd");
        long bound = (long) units * (notifyExits ? 3 : 2) + 1 + 2;
        assertTrue(r.userExits() <= bound, r.path() + ": " + r.userExits() + " user exits for " + units
                + " units, more than " + bound + "\n" + table);
    }
}
