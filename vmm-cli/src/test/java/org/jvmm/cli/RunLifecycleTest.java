package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvmm run} under real KVM, as a user meets it: a guest that crashes is one line and status
 * 1, never a stack trace; SIGTERM stops the guest, flushes and closes the disks, and exits.
 */
@Tag("kvm")
class RunLifecycleTest {

    /** Real mode: {@code mov al, 'R'; mov dx, 0x3f8; out dx, al; jmp $}. */
    static final byte[] LOOP_GUEST = {(byte) 0xb0, 'R', (byte) 0xba, (byte) 0xf8, 0x03, (byte) 0xee, (byte) 0xeb, (byte) 0xfe};
    /** {@code ud2} with nothing to handle #UD: a triple fault in long mode. */
    static final byte[] UD2_GUEST = {0x0f, 0x0b};

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    @Test
    void garbagePayloadIsAGuestErrorNotACrash() throws IOException {
        Path payload = tmp.resolve("ud2.bin");
        Files.write(payload, UD2_GUEST);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            // Long mode: #UD finds no present IDT gate, so it escalates to a triple fault. (In real mode
            // a zeroed IVT sends the CPU to 0:0, where zeros are valid instructions: a loop, not a fault.)
            status = Main.execute("run", "--payload", payload.toString(), "--timeout", "60");
        } finally {
            System.setErr(err);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, status, text);
        assertTrue(text.startsWith("jvmm: guest stopped: SHUTDOWN"), text);
        assertFalse(text.contains("\tat "), text);
    }

    @Test
    void sigtermStopsRunCleanly() throws Exception {
        Path payload = tmp.resolve("loop.bin");
        Files.write(payload, LOOP_GUEST);
        Path image = tmp.resolve("disk.img");
        Files.write(image, new byte[1 << 20]);
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        String path = System.getProperty("java.class.path") + java.io.File.pathSeparator
                + System.getProperty("jdk.module.path", "");
        Path stderrFile = tmp.resolve("stderr.txt");
        Process child = new ProcessBuilder(javaCommand, "--enable-native-access=ALL-UNNAMED", "-cp", path, "org.jvmm.cli.Main",
                "run", "--payload", payload.toString(), "--mode", "real",
                "--device", "virtio-blk,path=" + image + ",notify=ioeventfd")
                .redirectError(stderrFile.toFile()).start();
        InputStream out = child.getInputStream();
        int first = out.read(); // the guest printed 'R': it is running
        assertEquals('R', first, "guest output; stderr: " + Files.readString(stderrFile));
        long start = System.nanoTime();
        child.destroy(); // SIGTERM
        assertTrue(child.waitFor(10, TimeUnit.SECONDS), "jvmm exits after SIGTERM");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.println("lifecycle: jvmm run exited " + millis + " ms after SIGTERM, status " + child.exitValue());
        String text = "status " + child.exitValue() + ", stderr:\n" + Files.readString(stderrFile);
        assertFalse(text.contains("\tat ") || text.contains("Exception"), text);
        assertTrue(text.contains("jvmm: stopped by a signal; disks flushed and closed"), text);
        assertEquals(1 << 20, Files.size(image));
        // The lock is gone with the process: a new VM can open the image.
        try (var channel = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE);
             var lock = channel.tryLock()) {
            assertTrue(lock != null);
        }
    }
}
