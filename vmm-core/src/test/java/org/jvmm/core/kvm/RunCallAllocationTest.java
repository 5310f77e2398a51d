package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;
import org.junit.jupiter.api.Test;

/**
 * {@code KVM_RUN}'s call allocates nothing under C1, the JIT the launcher runs jvmm with. A downcall
 * that captures errno allocates a view of its capture segment on every call under C1 (C2
 * scalar-replaces it), so the test JVM, which runs C2, cannot show it: a child JVM with
 * {@code -XX:TieredStopAtLevel=1} makes the call on the class path (vmm-core needs no other jar)
 * and prints bytes per call, beside a control that must allocate, so that a counter that reads 0
 * for everything cannot pass the test. No KVM needed: {@code KVM_RUN} on /dev/null fails at once
 * (ENOTTY) through the very same downcall.
 */
class RunCallAllocationTest {

    private static final int WARM_UP = 300_000;
    private static final int MEASURED = 100_000;

    @Test
    void kvmRunsCallAllocatesNothingUnderC1() throws Exception {
        List<String> lines = runChild();
        assertEquals(2, lines.size(), "child printed " + lines);
        double control = perCall(lines.get(0), "control");
        double kvmRun = perCall(lines.get(1), "kvm_run");
        assertTrue(control >= 16, "the control allocates an object per call; the counter read " + control + " bytes: " + lines);
        // The counter's own reading allocates about 1 KiB (0.01 byte a call); a capturing downcall, 40 bytes a call.
        assertTrue(kvmRun < 0.5, "bytes allocated per KVM_RUN call under C1: " + lines);
    }

    private static double perCall(String line, String label) {
        String[] words = line.split(" ");
        assertEquals(label, words[0], line);
        return Double.parseDouble(words[1]);
    }

    private static List<String> runChild() throws IOException, InterruptedException, URISyntaxException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classPath = location(RunCall.class) + File.pathSeparator + location(RunCallAllocationTest.class);
        Process child = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xlog:disable",
                "--enable-native-access=ALL-UNNAMED", "-cp", classPath, Child.class.getName())
                .redirectErrorStream(true).start();
        if (!child.waitFor(120, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("the child JVM did not finish in 120 s");
        }
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), output);
        return output.lines().toList();
    }

    private static String location(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** The child JVM's side: prints "control B" and "kvm_run B", bytes per call. */
    public static final class Child {
        static Object sink;

        public static void main(String[] args) throws Exception {
            try (Arena arena = Arena.ofConfined()) {
                CallState state = CallState.current();
                int fd = state.check(Libc.open(state, Libc.cString(arena, "/dev/null"), Libc.O_RDWR | Libc.O_CLOEXEC), "open");
                RunCall call = RunCall.KvmRunIoctl.INSTANCE;
                for (int i = 0; i < WARM_UP; i++) {
                    control(i);
                    call.run(fd);
                }
                long start = allocatedBytes();
                for (int i = 0; i < MEASURED; i++) {
                    control(i);
                }
                long middle = allocatedBytes();
                int failures = 0;
                for (int i = 0; i < MEASURED; i++) {
                    failures -= call.run(fd);
                }
                long end = allocatedBytes();
                if (failures != MEASURED) {
                    throw new IllegalStateException("KVM_RUN on /dev/null should fail every time, failed " + failures);
                }
                System.out.println("control " + (double) (middle - start) / MEASURED);
                System.out.println("kvm_run " + (double) (end - middle) / MEASURED);
            }
        }

        private static void control(int i) {
            sink = new Object[] {i};
        }

        private static long allocatedBytes() throws ReflectiveOperationException {
            Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
            return (Long) m.invoke(bean);
        }
    }
}
