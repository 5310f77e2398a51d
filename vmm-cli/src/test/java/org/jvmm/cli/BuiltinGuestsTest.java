package org.jvmm.cli;

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
import org.jvmm.cli.machine.DeviceSpec;
import org.jvmm.cli.machine.MachineConfig;
import org.jvmm.cli.machine.RawMachine;
import org.jvmm.cli.machine.RunResult;
import org.jvmm.core.kvm.ExitReason;
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

    private static RunResult run(String guest, OutputStream serial, List<String> devices, long... args) throws IOException {
        long[] all = Arrays.copyOf(args, 16);
        MachineConfig config = new MachineConfig(GuestImages.load(guest), true, 64L << 20, 1, true, serial, null,
                devices.stream().map(DeviceSpec::parse).toList(), all);
        try (RawMachine machine = RawMachine.build(config)) {
            return machine.run(Duration.ofMinutes(5));
        }
    }

    private static byte[] pattern(int n) {
        byte[] expected = new byte[n];
        for (int i = 0; i < n; i++) {
            expected[i] = GuestImages.patternByte(i);
        }
        return expected;
    }

    @Test
    void polledUartOutputArrivesByteExactAndTheReportAddsUp() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunResult result = run("uart-poll", out, List.of(), 2048);
        assertEquals(SUCCESS, result.exitStatus(), result.summary());
        assertArrayEquals(pattern(2048), out.toByteArray());
        var all = result.merged();
        // Two exits a byte (LSR poll, THR write) plus set-up: at least 2 * 2048 port exits.
        assertTrue(all.exits(ExitReason.IO.code()) >= 4096, "IO exits: " + all.exits(ExitReason.IO.code()));
        assertEquals(Arrays.stream(all.count()).sum(), all.totalExits());
        assertEquals(Arrays.stream(all.portExits()).sum(), all.exits(ExitReason.IO.code()));
        Long kvmExits = result.kvmDelta().get("vcpu.exits");
        if (kvmExits != null) {
            assertTrue(kvmExits >= all.totalExits(), "KVM counted " + kvmExits + " exits, jvmm " + all.totalExits());
        }
    }

    @Test
    void interruptDrivenUartOutputArrivesByteExact() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunResult result = run("uart-irq", out, List.of(), 4096);
        assertEquals(SUCCESS, result.exitStatus(), result.summary());
        assertArrayEquals(pattern(4096), out.toByteArray());
        assertTrue(result.results()[4] >= 4096 / 64, "THR-empty interrupts taken: " + result.results()[4]);
    }

    @Test
    void virtioConsoleOutputArrivesByteExactOnEveryNotifyAndInterruptPath() throws IOException {
        String[][] paths = {{"notify=exit,irq=none", "0"}, {"notify=ioeventfd,irq=none", "1"},
            {"notify=exit,irq=line", "2"}, {"notify=ioeventfd,irq=irqfd", "3"}};
        for (String[] path : paths) {
            Path out = tmp.resolve("console-" + path[1]);
            RunResult result = run("virtio-console", OutputStream.nullOutputStream(),
                    List.of("virtio-console," + path[0] + ",out=" + out), 16384, Long.parseLong(path[1]));
            assertEquals(SUCCESS, result.exitStatus(), path[0] + ": " + result.summary());
            assertArrayEquals(pattern(16384), Files.readAllBytes(out), path[0]);
            assertTrue(result.merged().totalExits() < 200, path[0] + ": " + result.merged().totalExits() + " exits");
        }
    }

    @Test
    void virtioBlkReadsMatchTheHostFileAndAtaPioToo() throws IOException {
        byte[] data = new byte[256 * 1024];
        new SplittableRandom(7).nextBytes(data);
        Path image = tmp.resolve("disk.img");
        Files.write(image, data);
        long checksum = GuestImages.fnv1a(data);
        for (String device : List.of("virtio-blk,path=" + image + ",ro,irq=none",
                "virtio-blk,path=" + image + ",ro,notify=ioeventfd,irq=irqfd", "ata-pio,path=" + image + ",ro")) {
            String guest = device.startsWith("ata") ? "ata-read" : "virtio-blk-read";
            long mode = device.contains("irqfd") ? 3 : 0;
            RunResult result = run(guest, OutputStream.nullOutputStream(), List.of(device), data.length, mode);
            assertEquals(SUCCESS, result.exitStatus(), device + ": " + result.summary());
            assertEquals(data.length, result.results()[0], device);
            assertEquals(checksum, result.results()[1], device);
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
                List.of("virtio-blk,path=" + image), bytes, 0, 0, 0, sector);
        assertEquals(SUCCESS, result.exitStatus(), result.summary());
        assertEquals(0, result.results()[2], "FLUSH status");
        byte[] after = Files.readAllBytes(image);
        assertEquals(before.length, after.length, "the image was resized");
        byte[] expected = before.clone();
        System.arraycopy(pattern(bytes), 0, expected, sector * 512, bytes);
        assertArrayEquals(expected, after);
    }

    @Test
    void virtioRngDeliversTheRequestedBytes() throws IOException {
        RunResult result = run("virtio-rng", OutputStream.nullOutputStream(), List.of("virtio-rng"), 4096);
        assertEquals(SUCCESS, result.exitStatus(), result.summary());
        assertEquals(4096, result.results()[0]);
        assertFalse(result.results()[1] == GuestImages.fnv1a(new byte[4096]), "4096 zero bytes are not random");
    }
}
