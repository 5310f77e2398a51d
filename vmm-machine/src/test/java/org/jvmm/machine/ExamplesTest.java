package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * examples/, outside projects built against jvmm's jars by their coordinates
 * (scripts/check/examples.sh --build-only, which ./test.sh runs first), run under KVM and print what
 * they promise: embed (vmm-machine with a device of its own) and minimal-vmm (vmm-core alone).
 */
@Tag("kvm")
class ExamplesTest {

    private static final Path ROOT = Path.of(System.getenv().getOrDefault("JVMM_REPO_ROOT", ".."));

    @BeforeAll
    static void requireKvmAndTheBuiltExamples() {
        KvmRequirement.check();
        for (String example : List.of("embed", "minimal-vmm")) {
            Path jar = jar(example);
            String reason = jar + " is not built: run scripts/check/examples.sh --build-only";
            if ("true".equals(System.getenv("CI"))) {
                assertTrue(Files.exists(jar), reason);
            }
            Assumptions.assumeTrue(Files.exists(jar), reason);
        }
    }

    private static Path jar(String example) {
        return ROOT.resolve("examples/" + example + "/target/" + example + ".jar");
    }

    /** Runs an example's main class on the module path, as a user would; returns its standard output. */
    private static String run(String example, String mainClass) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path out = Files.createTempFile("example", ".out");
        Path err = Files.createTempFile("example", ".err");
        Process process = new ProcessBuilder(List.of(java, "--enable-native-access=org.jvmm.core",
                "-p", jar(example) + ":" + ROOT.resolve("examples/" + example + "/target/lib"), "-m", mainClass))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean done = process.waitFor(300, TimeUnit.SECONDS);
        if (!done) {
            process.destroyForcibly();
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        String both = output + Files.readString(err, StandardCharsets.UTF_8);
        Files.delete(out);
        Files.delete(err);
        System.out.print(both);
        assertTrue(done, example + " did not finish in 300 s:\n" + both);
        assertEquals(0, process.exitValue(), both);
        return output;
    }

    @Test
    void embedRunsItsGuestWithItsOwnDeviceAndReports() throws IOException, InterruptedException {
        String output = run("embed", "org.jvmm.example.embed/org.jvmm.example.embed.Main");
        assertTrue(output.contains("console: 4096 bytes, first line 0123456789abcdef"), output);
        assertTrue(output.contains("report port: 4096"), output);
        assertTrue(output.contains("stopped: debug exit, status 1, exit status 1"), output);
        assertTrue(output.lines().anyMatch(l -> l.strip().startsWith("Total")), "the exit report:\n" + output);
        assertTrue(output.contains("embed: ok"), output);
    }

    @Test
    void theMinimalVmmPrintsItsGuestsTextAndHalts() throws IOException, InterruptedException {
        String output = run("minimal-vmm", "org.jvmm.example.minimal/org.jvmm.example.minimal.MinimalVmm");
        assertEquals("Hello from a jvmm guest!\n", output);
    }
}
