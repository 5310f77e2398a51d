package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.jvmm.cli.trace.JfrTracing;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvmm run --jfr}: with threshold 0 one event per port-I/O exit; by default only the slow ones (real KVM). */
@Tag("kvm")
class JfrRecordingTest {

    private static final Pattern IO_EXITS = Pattern.compile("\"reason\"\\s*:\\s*\"IO\"\\s*,\\s*\"exits\"\\s*:\\s*(\\d+)");

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    private List<RecordedEvent> run(String... threshold) throws Exception {
        Path jfr = tmp.resolve("run" + threshold.length + ".jfr");
        Path json = tmp.resolve("stats" + threshold.length + ".json");
        String guest = BadInputTest.ROOT.resolve("guests/bin/hello.bin").toString();
        String[] base = {"run", "--payload", guest, "--jfr", jfr.toString(), "--stats-json", json.toString()};
        String[] args = new String[base.length + threshold.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(threshold, 0, args, base.length, threshold.length);
        assertEquals(1, Main.execute(args), "the guest exits OK");
        List<RecordedEvent> pio = RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().equals("org.jvmm.PioExit")).toList();
        Matcher m = IO_EXITS.matcher(Files.readString(json));
        assertTrue(m.find(), "no IO row in the stats JSON");
        ioExits = Long.parseLong(m.group(1));
        return pio;
    }

    private long ioExits;

    @Test
    void thresholdZeroRecordsEveryExitAndTheDefaultOnlySlowOnes() throws Exception {
        List<RecordedEvent> all = run("--jfr-threshold", "0");
        assertTrue(ioExits > 0);
        assertEquals(ioExits, all.size(), "one org.jvmm.PioExit per port-I/O exit");

        List<RecordedEvent> slow = run();
        assertTrue(slow.size() <= ioExits);
        Duration threshold = Duration.ofNanos(JfrTracing.DEFAULT_THRESHOLD_NANOS);
        for (RecordedEvent e : slow) {
            assertTrue(e.getDuration("handlingTime").compareTo(threshold) >= 0, e.toString());
        }
    }
}
