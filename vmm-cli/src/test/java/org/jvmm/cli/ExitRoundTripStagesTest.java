package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code jvmm bench exit-roundtrip --stages} on a real guest: every stage's loop runs the loop guest
 * to its halt and counts exactly the port writes it made ({@link RoundTripStages#nanosPerExit}
 * refuses any other count), and the report names each stage with a figure. No timing is judged.
 */
@Tag("kvm")
class ExitRoundTripStagesTest {

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    @Test
    void eachStageRunsTheLoopGuestToItsHaltWithEveryExitSeen() {
        for (RoundTripStages stage : RoundTripStages.values()) {
            double ns = stage.nanosPerExit(500);
            assertTrue(ns > 0 && Double.isFinite(ns), stage + ": " + ns);
        }
    }

    @Test
    void theJsonReportHasEveryStage() {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = Main.execute("bench", "exit-roundtrip", "--exits", "300", "--rounds", "1", "--stages", "--json");
        } finally {
            System.setOut(out);
        }
        String json = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, json);
        for (RoundTripStages stage : RoundTripStages.values()) {
            String key = stage.name().toLowerCase(Locale.ROOT);
            Matcher m = Pattern.compile("\"" + key + "\":\\s*([0-9.eE+-]+)").matcher(json);
            assertTrue(m.find(), key + " missing from " + json);
            assertTrue(Double.parseDouble(m.group(1)) > 0, json);
        }
        Matcher java = Pattern.compile("\"java_ns_per_exit\":\\s*([0-9.eE+-]+)").matcher(json);
        Matcher loop = Pattern.compile("\"vcpu_loop\":\\s*([0-9.eE+-]+)").matcher(json);
        assertTrue(java.find() && loop.find(), json);
        assertEquals(Double.parseDouble(java.group(1)), Double.parseDouble(loop.group(1)), "the java row is the Vcpu loop stage");
    }
}
