package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvmm run --gdb unix:PATH --gdb-wait} in a child JVM with Debian's gdb attached: detaching
 * lets the guest finish with its own exit status, {@code kill} ends jvmm.
 */
@Tag("kvm")
class GdbRunTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    private GdbSession session(List<String> gdbCommands) throws Exception {
        return GdbSession.run(tmp, List.of("--payload", BadInputTest.GUEST), gdbCommands, Duration.ofSeconds(60));
    }

    @Test
    void detachLetsTheGuestFinishWithItsStatus() throws Exception {
        GdbSession s = session(List.of("info threads", "detach"));
        assertTrue(s.stderr().contains("jvmm: gdb stub on unix:" + tmp.resolve("gdb.sock")
                + "; every vCPU waits for gdb's continue (gdb: target remote /"), s.text());
        assertTrue(s.gdb().contains("Thread 1 \"vCPU 0\""), s.text());
        assertTrue(s.stdout().startsWith("Hello from a jvmm guest\n"), s.text());
        assertEquals(1, s.status(), "hello's debug exit of 0 is status (0 << 1) | 1:\n" + s.text());
    }

    @Test
    void killEndsJvmm() throws Exception {
        GdbSession s = session(List.of("kill"));
        assertTrue(s.gdb().contains("[Inferior 1 (Remote target) killed]"), s.text());
        assertEquals("", s.stdout(), "the guest never ran:\n" + s.text());
    }
}
