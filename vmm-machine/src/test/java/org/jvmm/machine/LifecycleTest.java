package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lifecycle and resources under real KVM: many create/run/close cycles leave file descriptors and
 * memory flat; closing a VM whose vCPU is inside KVM_RUN, or whose ioeventfd device thread is
 * waiting, is prompt and leaves nothing open.
 * Without /dev/kvm the tests are skipped with a reason, or fail when CI=true.
 */
@Tag("kvm")
class LifecycleTest {

    /** Real mode: {@code mov al, 0; out 0xf4, al} (debug exit 0), then {@code jmp $}. */
    static final byte[] EXIT_GUEST = {(byte) 0xb0, 0, (byte) 0xe6, (byte) 0xf4, (byte) 0xeb, (byte) 0xfe};
    /** Real mode: {@code mov al, 'R'; mov dx, 0x3f8; out dx, al; jmp $}. */
    static final byte[] LOOP_GUEST = {(byte) 0xb0, 'R', (byte) 0xba, (byte) 0xf8, 0x03, (byte) 0xee, (byte) 0xeb, (byte) 0xfe};

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    private static Machine machine(byte[] payload, Path image, OutputStream out) throws IOException {
        MachineBuilder builder = TestMachines.raw(payload, CpuMode.REAL, 16L << 20, out);
        if (image != null) {
            builder.device(new VirtioBlockConfig(image, false, TestMachines.paths(Notify.IOEVENTFD, Interrupt.IRQFD)))
                    .device(new VirtioRngConfig(TestMachines.paths(Notify.IOEVENTFD, Interrupt.AUTO)))
                    .device(new VirtioConsoleConfig(out));
        }
        return builder.build();
    }

    @Test
    void cyclesLeaveFdsAndMemoryFlat() throws IOException {
        int cycles = Integer.getInteger("jvmm.lifecycle.cycles", 20);
        Path image = tmp.resolve("disk.img");
        Files.write(image, new byte[1 << 20]);
        for (int i = 0; i < 5; i++) { // warm up: classes, JIT, arenas, thread pools
            cycle(image);
        }
        System.gc();
        long fdsBefore = openFds();
        long rssBefore = status("VmRSS");
        long vmBefore = status("VmSize");
        long start = System.nanoTime();
        long slowest = 0;
        AtomicLong progress = new AtomicLong(start);
        Thread watchdog = hangWatchdog(progress);
        try {
            for (int i = 1; i <= cycles; i++) {
                long cycleStart = System.nanoTime();
                cycle(image);
                slowest = Math.max(slowest, System.nanoTime() - cycleStart);
                progress.set(System.nanoTime());
                if (i % Math.max(1, cycles / 10) == 0) { // the trend, to tell growth from a plateau
                    System.out.printf("lifecycle: after %d cycles (%d s): fds %d, VmRSS %d KiB, VmSize %d KiB%n", i,
                            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), openFds(), status("VmRSS"), status("VmSize"));
                }
            }
        } finally {
            watchdog.interrupt();
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("lifecycle: slowest cycle %d ms%n", TimeUnit.NANOSECONDS.toMillis(slowest));
        System.gc();
        long fdsAfter = openFds();
        long rssAfter = status("VmRSS");
        long vmAfter = status("VmSize");
        System.out.printf("lifecycle: %d cycles in %d ms (%.2f ms each); fds %d -> %d; VmRSS %d -> %d KiB;"
                + " VmSize %d -> %d KiB%n", cycles, millis, (double) millis / cycles, fdsBefore, fdsAfter,
                rssBefore, rssAfter, vmBefore, vmAfter);
        assertEquals(1 << 20, Files.size(image), "image size unchanged");
        assertTrue(fdsAfter - fdsBefore <= 2, "fds leaked: " + fdsBefore + " -> " + fdsAfter);
        // One leaked 16 MiB guest RAM mapping per cycle would add cycles * 16 MiB to VmSize.
        assertTrue(vmAfter - vmBefore < 64 * 1024, "VmSize grew: " + vmBefore + " -> " + vmAfter + " KiB");
        assertTrue(rssAfter - rssBefore < 64 * 1024, "VmRSS grew: " + rssBefore + " -> " + rssAfter + " KiB");
    }

    /** Prints every thread's stack once when no cycle has finished for a minute: a hang says where it is. */
    private static Thread hangWatchdog(AtomicLong progress) {
        return Thread.ofPlatform().daemon(true).name("lifecycle-watchdog").start(() -> {
            try {
                while (System.nanoTime() - progress.get() < TimeUnit.SECONDS.toNanos(60)) {
                    Thread.sleep(1000);
                }
            } catch (InterruptedException done) {
                return;
            }
            StringBuilder dump = new StringBuilder("lifecycle: no cycle finished for 60 s; threads:\n");
            Thread.getAllStackTraces().forEach((t, stack) -> {
                dump.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
                for (StackTraceElement e : stack) {
                    dump.append("    at ").append(e).append('\n');
                }
            });
            System.out.print(dump);
            System.out.flush();
        });
    }

    private void cycle(Path image) throws IOException {
        try (Machine machine = machine(EXIT_GUEST, image, OutputStream.nullOutputStream())) {
            RunResult result = machine.run(Duration.ofSeconds(30));
            assertEquals(1, result.exitStatus(), result.summary()); // debug exit 0 -> (0 << 1) | 1
        }
    }

    @Test
    void closeWhileInKvmRunAndDeviceThreadsWaiting() throws Exception {
        Path image = tmp.resolve("disk.img");
        Files.write(image, new byte[1 << 20]);
        long fdsBefore = openFds();
        Machine machine = machine(LOOP_GUEST, image, OutputStream.nullOutputStream());
        Thread runner = Thread.ofPlatform().start(() -> machine.run(Duration.ofSeconds(600)));
        Thread.sleep(1000); // the vCPU spins in KVM_RUN; the ioeventfd threads block in read(2)
        assertTrue(runner.isAlive(), "the looping guest is still running");
        assertTrue(threads("virtio-blk@0-q0"), "device thread waiting");
        assertTrue(openFds() > fdsBefore, "the VM holds fds while it runs");
        long start = System.nanoTime();
        machine.stop("test");
        runner.join(10_000);
        machine.close();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.println("lifecycle: stop + close of a running VM took " + millis + " ms");
        assertFalse(runner.isAlive(), "run() returned");
        assertTrue(millis < 5000, "close took " + millis + " ms");
        for (int i = 0; i < 100 && (threads("virtio-blk@0-q0") || threads("vcpu-0")); i++) {
            Thread.sleep(10);
        }
        assertFalse(threads("virtio-blk@0-q0") || threads("vcpu-0"), "no vCPU or device thread left");
        assertEquals(fdsBefore, openFds(), "fds after close");
    }

    /**
     * A guest streams 1 MiB virtio-blk reads through an ioeventfd device thread; the VM is stopped and
     * closed at a moment the device thread is seen inside a request (a virtio-blk frame on its stack).
     * Close waits for that request, then leaves no thread and no fd behind.
     */
    @Test
    void closeWhileADeviceThreadIsMidRequest() throws Exception {
        Path image = tmp.resolve("big.img");
        long imageSize = 64L << 20;
        try (FileChannel f = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(new byte[1]), imageSize - 1); // sparse: reads cost I/O, not disk space
        }
        long fdsBefore = openFds();
        // Read the whole image (args[0]) in 1 MiB requests (args[2]).
        Machine machine = TestMachines.builtin("virtio-blk-read", OutputStream.nullOutputStream(), imageSize, 0, 1 << 20)
                .device(new VirtioBlockConfig(image, false, TestMachines.paths(Notify.IOEVENTFD, Interrupt.IRQFD)))
                .build();
        Thread runner = Thread.ofPlatform().start(() -> machine.run(Duration.ofSeconds(600)));
        Thread device = awaitThread("virtio-blk@0-q0");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean midRequest = false;
        while (!midRequest && runner.isAlive() && System.nanoTime() < deadline) {
            midRequest = Arrays.stream(device.getStackTrace()).anyMatch(f -> f.getClassName().contains(".virtio.blk."));
            if (!midRequest) {
                Thread.sleep(1); // leave the CPU to the guest and the device
            }
        }
        assertTrue(midRequest, "never saw the device thread inside a request; guest still running: " + runner.isAlive());
        long start = System.nanoTime();
        machine.stop("test");
        runner.join(10_000);
        machine.close();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.println("lifecycle: stop + close with the device thread mid-request took " + millis + " ms");
        assertFalse(runner.isAlive(), "run() returned");
        assertTrue(millis < 5000, "close took " + millis + " ms");
        device.join(1000);
        assertFalse(device.isAlive() || threads("vcpu-0"), "no vCPU or device thread left");
        assertEquals(fdsBefore, openFds(), "fds after close");
        assertEquals(imageSize, Files.size(image), "image size unchanged");
    }

    private static Thread awaitThread(String name) throws InterruptedException {
        for (int i = 0; i < 6000; i++) {
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals(name) && t.isAlive()) {
                    return t;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no thread " + name);
    }

    @Test
    void closeWithoutStopWhileInKvmRun() throws Exception {
        long fdsBefore = openFds();
        Machine machine = machine(LOOP_GUEST, null, OutputStream.nullOutputStream());
        Thread runner = Thread.ofPlatform().start(() -> machine.run(Duration.ofSeconds(600)));
        Thread.sleep(500);
        long start = System.nanoTime();
        machine.close(); // from another thread, with the vCPU inside KVM_RUN
        runner.join(10_000);
        assertFalse(runner.isAlive(), "run() returned after close");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "close was prompt");
        assertEquals(fdsBefore, openFds(), "fds after close");
    }

    private static boolean threads(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    static long openFds() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    static long status(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + key + " in /proc/self/status");
    }
}
