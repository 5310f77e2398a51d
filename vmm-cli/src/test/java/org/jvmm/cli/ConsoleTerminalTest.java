package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvmm run} on a real terminal: util-linux {@code script} gives it a pseudo-terminal. While the
 * guest runs, the terminal is in raw mode (checked from outside with {@code stty -F}); Ctrl-A x,
 * which a terminal in cooked mode would hold back until Enter, quits with status 0; afterwards the
 * terminal's settings are exactly what they were before.
 */
@Tag("kvm")
class ConsoleTerminalTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void rawWhileRunningCtrlAxQuitsAndTheTerminalIsRestored() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")) && Files.isExecutable(Path.of("/bin/stty")),
                "needs util-linux script and coreutils stty");
        Path payload = tmp.resolve("loop.bin");
        Files.write(payload, RunLifecycleTest.LOOP_GUEST); // prints R once, then spins
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        String path = System.getProperty("java.class.path") + java.io.File.pathSeparator
                + System.getProperty("jdk.module.path", "");
        String jvmm = String.join(" ", List.of(quote(javaCommand), "--enable-native-access=ALL-UNNAMED", "-cp", quote(path),
                "org.jvmm.cli.Main", "run", "--payload", quote(payload.toString()), "--mode", "real", "--timeout", "120"));
        Path t = tmp;
        String inner = "stty -g > " + quote(t + "/before") + "; tty > " + quote(t + "/tty") + "; " + jvmm
                + "; echo $? > " + quote(t + "/status") + "; stty -g > " + quote(t + "/after");
        Process script = new ProcessBuilder("script", "-q", "-e", "-c", inner, "/dev/null")
                .redirectErrorStream(true).start();
        StringBuffer seen = new StringBuffer();
        Thread drain = Thread.ofPlatform().daemon().start(() -> {
            try (InputStream out = script.getInputStream()) {
                byte[] buffer = new byte[256];
                int n;
                while ((n = out.read(buffer)) >= 0) {
                    seen.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
                }
            } catch (IOException e) {
                seen.append(e);
            }
        });
        try {
            // jvmm prints the help line once the terminal is raw; the guest's 'R' comes after it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (seen.indexOf(ConsoleEscape.HELP) < 0 || seen.indexOf("R", seen.indexOf(ConsoleEscape.HELP)) < 0) {
                assertTrue(script.isAlive() && System.nanoTime() < deadline, "no help line and guest output: " + seen);
                Thread.sleep(20);
            }
            String tty = Files.readString(t.resolve("tty")).strip();
            Process stty = new ProcessBuilder("stty", "-a", "-F", tty).redirectErrorStream(true).start();
            String settings = new String(stty.getInputStream().readAllBytes());
            assertTrue(stty.waitFor(10, TimeUnit.SECONDS));
            for (String flag : List.of("-icanon", "-echo", "-isig", "-icrnl", "-ixon", "opost")) {
                assertTrue((" " + settings.replace('\n', ' ') + " ").contains(" " + flag + " "),
                        "raw mode has " + flag + ": " + settings);
            }
            OutputStream keyboard = script.getOutputStream();
            keyboard.write(new byte[] {0x01, 'x'}); // no Enter: only a raw terminal passes it on at once
            keyboard.flush();
            assertTrue(script.waitFor(60, TimeUnit.SECONDS), "jvmm quit on Ctrl-A x; output: " + seen);
            drain.join(5000);
            assertEquals("0", Files.readString(t.resolve("status")).strip(), "jvmm's exit status; output: " + seen);
            assertEquals(Files.readString(t.resolve("before")), Files.readString(t.resolve("after")), "terminal restored");
            assertTrue(seen.indexOf("jvmm: quit from the console (Ctrl-A x)") >= 0, seen.toString());
        } finally {
            script.destroyForcibly();
        }
    }
}
