package org.jvmm.gdb.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Debian's gdb in batch mode: connects, runs the commands, returns everything it printed. */
public final class GdbBatch {

    /** gdb, as Debian installs it. */
    public static final Path GDB = Path.of("/usr/bin/gdb");

    private GdbBatch() {}

    /**
     * Runs gdb.
     *
     * @param elf      the ELF with symbols to load, or null
     * @param remote   what {@code target remote} takes
     * @param commands the commands after connecting
     * @return gdb's output
     * @throws Exception when gdb cannot run or does not finish within two minutes
     */
    public static String run(Path elf, String remote, List<String> commands) throws Exception {
        return run(elf, remote, commands, null);
    }

    /**
     * Runs gdb, and sends it SIGINT (a user's Ctrl-C) a second after it printed a line.
     *
     * @param elf         the ELF with symbols to load, or null
     * @param remote      what {@code target remote} takes
     * @param commands    the commands after connecting
     * @param interruptAt the start of the line after which to interrupt, or null
     * @return gdb's output
     * @throws Exception when gdb cannot run or does not finish within two minutes
     */
    public static String run(Path elf, String remote, List<String> commands, String interruptAt) throws Exception {
        if ("true".equals(System.getenv("CI")) && !Files.isExecutable(GDB)) {
            throw new IllegalStateException("CI=true but " + GDB + " is missing (apt-get install gdb)");
        }
        assumeTrue(Files.isExecutable(GDB), GDB + " is needed");
        // gdb's stdout is a pipe here, so stdio would hold "Continuing." back until gdb exits, and a test
        // that interrupts after that line would wait forever: line-buffer it.
        List<String> command = new ArrayList<>(List.of("stdbuf", "-oL", "-eL", GDB.toString(), "-batch", "-nx"));
        if (elf != null) {
            command.add(elf.toString());
        }
        command.addAll(List.of("-ex", "set pagination off", "-ex", "set confirm off", "-ex", "target remote " + remote));
        for (String c : commands) {
            command.add("-ex");
            command.add(c);
        }
        Process gdb = new ProcessBuilder(command).redirectErrorStream(true).start();
        gdb.getOutputStream().close();
        // The read below ends only when gdb exits: end gdb after two minutes, so that a stub that never
        // answers fails the test instead of hanging the whole run.
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                if (!gdb.waitFor(120, TimeUnit.SECONDS)) {
                    timedOut.set(true);
                    gdb.destroyForcibly();
                }
            } catch (InterruptedException e) {
                timedOut.set(true);
                gdb.destroyForcibly();
            }
        });
        StringBuilder text = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(gdb.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                text.append(line).append('\n');
                if (interruptAt != null && line.startsWith(interruptAt)) {
                    interruptAt = null;
                    Thread.sleep(1000);
                    new ProcessBuilder("kill", "-INT", Long.toString(gdb.pid())).inheritIO().start().waitFor();
                }
            }
        }
        String output = text.toString();
        watchdog.join();
        assertFalse(timedOut.get(), "gdb did not finish within two minutes:\n" + output);
        System.out.println("gdb " + String.join(" | ", commands) + ":\n" + output);
        return output;
    }

    /**
     * Asserts gdb printed each text.
     *
     * @param output   gdb's output
     * @param expected what must be in it
     */
    public static void assertContains(String output, String... expected) {
        for (String e : expected) {
            assertTrue(output.contains(e), "expected '" + e + "' in gdb's output:\n" + output);
        }
    }
}
