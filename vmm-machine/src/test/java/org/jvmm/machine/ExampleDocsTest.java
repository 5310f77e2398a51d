package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The examples the docs show are the examples that are built and run, and stay short. */
class ExampleDocsTest {

    private static final Path ROOT = Path.of(System.getenv().getOrDefault("JVMM_REPO_ROOT", ".."));

    @Test
    void minimalVmmMdShowsTheMinimalVmmVerbatim() throws IOException {
        Path source = ROOT.resolve("examples/minimal-vmm/src/main/java/org/jvmm/example/minimal/MinimalVmm.java");
        String code = Files.readString(source);
        assertTrue(Files.readString(ROOT.resolve("docs/minimal-vmm.md")).contains(code.strip()),
                "docs/minimal-vmm.md must contain " + source + " verbatim");
        assertTrue(code.lines().count() < 100, "the minimal VMM stays under 100 lines");
    }

    @Test
    void theEmbeddingExampleStaysUnderAHundredLines() throws IOException {
        Path source = ROOT.resolve("examples/embed/src/main/java/org/jvmm/example/embed/Main.java");
        assertTrue(Files.readAllLines(source).size() < 100, source + " stays under 100 lines");
    }
}
