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
import java.util.function.BooleanSupplier;
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
     * Runs gdb, and sends it SIGINT (a user's Ctrl-C) a second after a condition holds. gdb's
     * own output cannot tell when it waits in {@code continue}: in batch mode it prints nothing
     * then, so the condition is the target's state.
     *
     * @param elf           the ELF with symbols to load, or null
     * @param remote        what {@code target remote} takes
     * @param commands      the commands after connecting
     * @param interruptWhen when to interrupt (polled for a minute), or null
     * @return gdb's output
     * @throws Exception when gdb cannot run or does not finish within two minutes
     */
    public static String run(Path elf, String remote, List<String> commands, BooleanSupplier interruptWhen) throws Exception {
        if ("true".equals(System.getenv("CI")) && !Files.isExecutable(GDB)) {
            throw new IllegalStateException("CI=true but " + GDB + " is missing (apt-get install gdb)");
        }
        assumeTrue(Files.isExecutable(GDB), GDB + " is needed");
        List<String> command = new ArrayList<>(List.of(GDB.toString(), "-batch", "-nx"));
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
        if (interruptWhen != null) {
            Thread.ofPlatform().daemon().start(() -> interrupt(gdb, interruptWhen));
        }
        StringBuilder text = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(gdb.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                text.append(line).append('\n');
            }
        }
        String output = text.toString();
        watchdog.join();
        assertFalse(timedOut.get(), "gdb did not finish within two minutes:\n" + output);
        System.out.println("gdb " + String.join(" | ", commands) + ":\n" + output);
        return output;
    }

    private static void interrupt(Process gdb, BooleanSupplier when) {
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!when.getAsBoolean() && gdb.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(1000);
            new ProcessBuilder("kill", "-INT", Long.toString(gdb.pid())).inheritIO().start().waitFor();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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
