package org.jvmm.core.example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jvmm.core.testing.RequiresKvm;
import org.junit.jupiter.api.Test;

class MinimalVmmExampleTest {

    @Test
    @RequiresKvm
    void theGuestPrintsItsTextAndHalts() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.US_ASCII);
        assertEquals(0, MinimalVmmExample.run("Hello from a jvmm guest!\n", out));
        assertEquals("Hello from a jvmm guest!\n", bytes.toString(StandardCharsets.US_ASCII));
    }

    /** docs/minimal-vmm.md shows this very file; keep them from drifting apart. */
    @Test
    void theDocumentationShowsThisCode() throws IOException {
        Path root = Path.of(System.getenv().getOrDefault("JVMM_REPO_ROOT", "..")).toAbsolutePath();
        Path source = root.resolve("vmm-core/src/test/java/org/jvmm/core/example/MinimalVmmExample.java");
        String doc = Files.readString(root.resolve("docs/minimal-vmm.md"));
        String code = Files.readString(source);
        assertEquals(true, doc.contains(code.strip()), "docs/minimal-vmm.md must contain " + source + " verbatim");
        assertEquals(true, code.lines().count() < 100, "the example must stay under 100 lines");
    }
}
