package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in guests (guests/) on the raw machine under real KVM, one per device and path: what the
 * guest sends arrives byte-exact, what it reads matches the host file, what it writes and flushes
 * is in the host file, and the exit report adds up against KVM's own counter.
 */
@Tag("kvm")
class BuiltinGuestsTest {

    private static final int SUCCESS = 1; // debug-exit of 0: (0 << 1) | 1

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    private static RunResult run(String guest, OutputStream serial, List<DeviceConfig> devices, long... args) throws IOException {
        MachineBuilder builder = TestMachines.builtin(guest, serial, args);
        devices.forEach(builder::device);
        try (Machine machine = builder.build()) {
            return machine.run(Duration.ofMinutes(5));
        }
    }

    private static byte[] pattern(int n) {
        byte[] expected = new byte[n];
        for (int i = 0; i < n; i++) {
            expected[i] = BuiltinGuests.patternByte(i);
        }
        return expected;
    }

    /**
     * The most exits KVM may count beyond those that reached jvmm in a guest whose only exits are port
     * I/O and its final stop: the kernel handles, without returning to user space, host interrupts
     * that arrive while the guest runs (the host timer ticks at HZ &lt;= 1000 a second; other host
     * interrupts and IPIs are allowed as many again) and a fixed set-up allowance (first-touch EPT
     * faults on the guest's few pages, CPUID and MSR exits while it starts). Under nested emulation
     * runs show 20 to 30 a second (README, "Exit report of any run": 15 beyond 56 in 0.68 s).
     */
    static long kernelExitBound(long wallNanos) {
        return 100 + 2000 * wallNanos / 1_000_000_000L;
    }

    /** {@return the exits column of the report's first reason table, by reason name, "Total" last} */
    static java.util.Map<String, Long> reasonRows(String report) {
        java.util.Map<String, Long> rows = new java.util.LinkedHashMap<>();
        java.util.regex.Pattern row = java.util.regex.Pattern.compile("^\\s*(.+?)\\s+(\\d+)\\s+[\\d.]+%.*$");
        boolean in = false;
        for (String line : report.lines().toList()) {
            if (line.trim().startsWith("VM-EXIT")) {
                in = true;
            } else if (in) {
                var m = row.matcher(line);
                assertTrue(m.matches(), "not a report row: '" + line + "' in\n" + report);
                rows.put(m.group(1), Long.parseLong(m.group(2)));
                if (m.group(1).equals("Total")) {
                    return rows;
                }
            }
        }
        throw new AssertionError("no reason table in\n" + report);
    }

    /** {@return the value of a line "NAME   VALUE" of the report, or null} */
    static Long reportValue(String report, String name) {
        return report.lines().filter(l -> l.startsWith(name + " ")).map(l -> Long.parseLong(l.substring(name.length()).trim()))
                .findFirst().orElse(null);
    }

    @Test
    void polledUartOutputArrivesByteExactAndTheReportAddsUp() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunResult result;
        String report;
        try (Machine machine = TestMachines.builtin("uart-poll", out, 2048).build()) {
            result = machine.run(Duration.ofMinutes(5));
            report = ExitReport.format(result.perVcpu(), machine.pio(), machine.mmio(), result.kvmDelta(), result.wallNanos());
        }
        assertEquals(SUCCESS, result.exitStatus(), result.summary());
        assertArrayEquals(pattern(2048), out.toByteArray());
        var all = result.merged();
        // Two exits a byte (LSR poll, THR write) plus set-up: at least 2 * 2048 port exits.
        assertTrue(all.exits(ExitReason.IO.code()) >= 4096, "IO exits: " + all.exits(ExitReason.IO.code()));
        assertEquals(Arrays.stream(all.portExits()).sum(), all.exits(ExitReason.IO.code()));
        // The printed report adds up: its Total line is the sum of its printed rows, and is what jvmm counted.
        java.util.Map<String, Long> rows = reasonRows(report);
        long total = rows.remove("Total");
        assertEquals(rows.values().stream().mapToLong(Long::longValue).sum(), total, report);
        assertEquals(all.totalExits(), total, report);
        assertEquals(java.util.Set.of("IO"), rows.keySet(), "this guest exits by port I/O only: " + report);
        Long kvmExits = result.kvmDelta().get("vcpu.exits");
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(kvmExits != null, "CI's KVM has a binary stats fd: " + report);
        }
        if (kvmExits != null) {
            // KVM's counter is jvmm's exits plus those the kernel handled itself, and those are few.
            assertEquals(total, reportValue(report, "user-space exits (jvmm)"), report);
            long kernel = reportValue(report, "handled in the kernel (exits - user)");
            assertEquals(kvmExits - total, kernel, report);
            assertTrue(kernel >= 0, "KVM counted " + kvmExits + " exits, jvmm " + total);
            assertTrue(kernel <= kernelExitBound(result.wallNanos()), "the kernel handled " + kernel + " exits in "
                    + result.wallNanos() / 1_000_000 + " ms, more than the bound " + kernelExitBound(result.wallNanos()) + "\n" + report);
        }
    }

    @Test
    void interruptDrivenUartOutputArrivesByteExact() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunResult result = run("uart-irq", out, List.of(), 4096);
        assertEquals(SUCCESS, result.exitStatus(), result.summary());
        assertArrayEquals(pattern(4096), out.toByteArray());
        assertTrue(result.guestResults()[4] >= 4096 / 64, "THR-empty interrupts taken: " + result.guestResults()[4]);
    }

    @Test
    void virtioConsoleOutputArrivesByteExactOnEveryNotifyAndInterruptPath() throws IOException {
        // The guest's mode argument: bit 0 ioeventfd-style kicks, bit 1 interrupt-driven completion.
        VirtioPaths[] paths = {TestMachines.paths(Notify.EXIT, Interrupt.NONE), TestMachines.paths(Notify.IOEVENTFD, Interrupt.NONE),
            TestMachines.paths(Notify.EXIT, Interrupt.LINE), TestMachines.paths(Notify.IOEVENTFD, Interrupt.IRQFD)};
        for (int mode = 0; mode < paths.length; mode++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            RunResult result = run("virtio-console", OutputStream.nullOutputStream(),
                    List.of(new VirtioConsoleConfig(out, paths[mode])), 16384, mode);
            assertEquals(SUCCESS, result.exitStatus(), paths[mode] + ": " + result.summary());
            assertArrayEquals(pattern(16384), out.toByteArray(), paths[mode].toString());
            assertTrue(result.merged().totalExits() < 200, paths[mode] + ": " + result.merged().totalExits() + " exits");
        }
    }

    @Test
    void virtioBlkReadsMatchTheHostFileAndAtaPioToo() throws IOException {
        byte[] data = new byte[256 * 1024];
        new SplittableRandom(7).nextBytes(data);
        Path image = tmp.resolve("disk.img");
        Files.write(image, data);
        long checksum = BuiltinGuests.fnv1a(data);
        for (DeviceConfig device : List.of(new VirtioBlockConfig(image, true, TestMachines.POLLED),
                new VirtioBlockConfig(image, true, TestMachines.paths(Notify.IOEVENTFD, Interrupt.IRQFD)),
                new AtaPioConfig(image, true))) {
            String guest = device instanceof AtaPioConfig ? "ata-read" : "virtio-blk-read";
            long mode = device instanceof VirtioBlockConfig blk && blk.paths().interruptPath() == Interrupt.IRQFD ? 3 : 0;
            RunResult result = run(guest, OutputStream.nullOutputStream(), List.of(device), data.length, mode);
            assertEquals(SUCCESS, result.exitStatus(), device + ": " + result.summary());
            assertEquals(data.length, result.guestResults()[0], device.toString());
            assertEquals(checksum, result.guestResults()[1], device.toString());
        }
    }

    @Test
    void virtioBlkWritesAndFlushesChangeTheHostFileExactly() throws IOException {
        Path image = tmp.resolve("write.img");
        byte[] before = new byte[1 << 20];
        new SplittableRandom(3).nextBytes(before);
        Files.write(image, before);
        int sector = 100;
        int bytes = 8192;
        RunResult result = run("virtio-blk-write", new ByteArrayOutputStream(),
                List.of(new VirtioBlockConfig(image, false, VirtioPaths.DEFAULT)), bytes, 0, 0, 0, sector);
        assertEquals(SUCCESS, result.exitStatus(), result.summary());
        assertEquals(0, result.guestResults()[2], "FLUSH status");
        byte[] after = Files.readAllBytes(image);
        assertEquals(before.length, after.length, "the image was resized");
        byte[] expected = before.clone();
        System.arraycopy(pattern(bytes), 0, expected, sector * 512, bytes);
        assertArrayEquals(expected, after);
    }

    @Test
    void virtioRngDeliversTheRequestedBytes() throws IOException {
        RunResult result = run("virtio-rng", OutputStream.nullOutputStream(), List.of(new VirtioRngConfig(VirtioPaths.DEFAULT)), 4096);
        assertEquals(SUCCESS, result.exitStatus(), result.summary());
        assertEquals(4096, result.guestResults()[0]);
        assertFalse(result.guestResults()[1] == BuiltinGuests.fnv1a(new byte[4096]), "4096 zero bytes are not random");
    }
}
