package org.jvmm.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;
import org.jvmm.core.sys.Libc;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw mode on a real pseudo-terminal (util-linux {@code script} makes one): {@link Probe} enters raw
 * mode, lets {@code stty} print the settings, restores them, and {@code stty} prints them again.
 */
class RawTerminalTest {

    @TempDir
    Path tmp;

    /** Runs inside the pseudo-terminal: stty's output while raw and after restoring, into two files. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            RawTerminal terminal = RawTerminal.enter(0);
            stty(Path.of(args[0]));
            terminal.close();
            terminal.close(); // a second close (the signal path) changes nothing
            stty(Path.of(args[1]));
        }

        private static void stty(Path into) throws Exception {
            new ProcessBuilder("stty", "-a").redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(into.toFile()).start().waitFor();
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void rawModeWhileEnteredAndTheSameSettingsAfterClose() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")) && Files.isExecutable(Path.of("/bin/stty")),
                "needs util-linux script and coreutils stty");
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        String path = System.getProperty("java.class.path") + java.io.File.pathSeparator
                + System.getProperty("jdk.module.path", "");
        String inner = "stty -a > " + quote(tmp + "/before") + "; " + quote(javaCommand)
                + " --enable-native-access=ALL-UNNAMED -cp " + quote(path) + " " + quote(Probe.class.getName()) + " "
                + quote(tmp + "/raw") + " " + quote(tmp + "/after") + "; echo $? > " + quote(tmp + "/status");
        Process script = new ProcessBuilder("script", "-q", "-e", "-c", inner, "/dev/null").redirectErrorStream(true).start();
        String output = new String(script.getInputStream().readAllBytes());
        assertTrue(script.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals("0", Files.readString(tmp.resolve("status")).strip(), output);
        String before = Files.readString(tmp.resolve("before"));
        String raw = " " + Files.readString(tmp.resolve("raw")).replace('\n', ' ') + " ";
        assertTrue(before.contains(" icanon ") && before.contains(" echo "), "the pty starts cooked: " + before);
        for (String flag : List.of("-icanon", "-echo", "-isig", "-iexten", "-icrnl", "-ixon", "cs8", "opost", "min = 1;")) {
            assertTrue(raw.contains(" " + flag + " "), "raw mode has " + flag + ": " + raw);
        }
        assertNotEquals(before, Files.readString(tmp.resolve("raw")));
        assertEquals(before, Files.readString(tmp.resolve("after")), "restored exactly");
    }

    /** The termios size and offsets Libc declares by hand, against what gcc says for glibc's struct. */
    @Test
    void termiosLayoutMatchesGlibc() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "needs gcc");
        Path source = tmp.resolve("termios.c");
        Files.writeString(source, """
                #include <stdio.h>
                #include <stddef.h>
                #include <termios.h>
                int main(void) {
                    printf("%zu %zu %d %d\\n", sizeof(struct termios), offsetof(struct termios, c_oflag), OPOST, TCSANOW);
                    return 0;
                }
                """);
        Path binary = tmp.resolve("termios");
        Process gcc = new ProcessBuilder("gcc", "-o", binary.toString(), source.toString()).redirectErrorStream(true).start();
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS) && gcc.exitValue() == 0, log);
        Process run = new ProcessBuilder(binary.toString()).start();
        String fromC = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(run.waitFor(10, TimeUnit.SECONDS));
        assertEquals(Libc.TERMIOS_SIZE + " " + Libc.TERMIOS_OFLAG + " " + Libc.OPOST + " " + Libc.TCSANOW, fromC);
    }

    @Test
    void notATerminal() throws IOException {
        assertFalse(RawTerminal.isTerminal(9999), "a closed fd");
        IOException e = assertThrows(IOException.class, () -> RawTerminal.enter(9999));
        assertTrue(e.getMessage().startsWith("tcgetattr(9999): "), e.getMessage()); // then strerror(EBADF)
    }
}
