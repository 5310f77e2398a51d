package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code jvmm run ... --gdb unix:PATH --gdb-wait} in a child JVM, and Debian's gdb in batch mode
 * attached to it once the stub says it listens. Every wait is bounded, so a stub that never answers
 * fails the test instead of hanging the run.
 *
 * @param status jvmm's exit status
 * @param gdb    what gdb printed
 * @param stdout jvmm's standard output
 * @param stderr jvmm's standard error
 */
record GdbSession(int status, String gdb, String stdout, String stderr) {

    static final Path GDB = Path.of("/usr/bin/gdb");

    /**
     * Runs one session.
     *
     * @param dir         a directory for the socket and jvmm's output
     * @param runArgs     the arguments after {@code run}, without {@code --gdb}
     * @param gdbCommands gdb's commands after {@code target remote}
     * @param jvmmTimeout how long jvmm may run on after gdb ended
     */
    static GdbSession run(Path dir, List<String> runArgs, List<String> gdbCommands, Duration jvmmTimeout)
            throws Exception {
        if ("true".equals(System.getenv("CI")) && !Files.isExecutable(GDB)) {
            throw new IllegalStateException("CI=true but " + GDB + " is missing (apt-get install gdb)");
        }
        assumeTrue(Files.isExecutable(GDB), GDB + " is needed");
        Path socket = dir.resolve("gdb.sock");
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        List<String> jvmmCommand = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path") + File.pathSeparator + System.getProperty("jdk.module.path", ""),
                "org.jvmm.cli.Main", "run"));
        jvmmCommand.addAll(runArgs);
        jvmmCommand.addAll(List.of("--gdb", "unix:" + socket, "--gdb-wait"));
        Process jvmm = new ProcessBuilder(jvmmCommand).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(stderr).contains("jvmm: gdb stub on") && jvmm.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            // timeout(1) bounds the read of gdb's output below.
            List<String> command = new ArrayList<>(List.of("timeout", "-s", "KILL", "180", GDB.toString(), "-batch",
                    "-nx", "-ex", "set confirm off", "-ex", "set pagination off", "-ex", "target remote " + socket));
            gdbCommands.forEach(c -> command.addAll(List.of("-ex", c)));
            Process gdb = new ProcessBuilder(command).redirectErrorStream(true).start();
            gdb.getOutputStream().close();
            String gdbOut = new String(gdb.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(gdb.waitFor(10, TimeUnit.SECONDS), gdbOut);
            boolean exited = jvmm.waitFor(jvmmTimeout.toSeconds(), TimeUnit.SECONDS);
            GdbSession session = new GdbSession(exited ? jvmm.exitValue() : -1, gdbOut,
                    Files.readString(stdout, StandardCharsets.ISO_8859_1), Files.readString(stderr));
            System.out.println(session.text());
            assertTrue(exited, "jvmm did not exit:\n" + session.text());
            assertTrue(Files.notExists(socket), "jvmm removed its socket");
            return session;
        } finally {
            jvmm.destroyForcibly();
        }
    }

    /** Everything, for assertion messages. */
    String text() {
        return "gdb:\n" + gdb + "\njvmm stdout:\n" + stdout + "\njvmm stderr:\n" + stderr;
    }
}
