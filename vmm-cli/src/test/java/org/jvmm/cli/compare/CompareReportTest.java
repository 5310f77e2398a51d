package org.jvmm.cli.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jvmm.cli.Json;
import org.jvmm.cli.compare.ComparePath.Device;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.machine.BuiltinGuests;
import org.jvmm.machine.Interrupt;
import org.jvmm.machine.Notify;
import org.jvmm.machine.RunResult;
import org.jvmm.machine.StopCause;
import org.jvmm.machine.VirtioPaths;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvmm compare}'s rows, notes, table, JSON and HTML page without KVM: synthetic runs, and a
 * KVM device node that does not exist so every path fails the way an unsupported host would.
 */
class CompareReportTest {

    @TempDir
    Path tmp;

    private static final VirtioPaths POLLED_PATHS = new VirtioPaths(Notify.EXIT, Interrupt.NONE, true);
    private static final ComparePath POLLED =
            new ComparePath("console", "8250 polled", "uart-poll", Device.UART, POLLED_PATHS, 0, true);
    private static final ComparePath IOEVENTFD = new ComparePath("console", "virtio-console notify=ioeventfd",
            "virtio-console", Device.VIRTIO_CONSOLE, POLLED_PATHS.withNotify(Notify.IOEVENTFD), 0, false);

    private static RunResult run(Map<String, Long> kvm, long... exitsByReason) {
        return run(List.of(), kvm, exitsByReason);
    }

    private static RunResult run(List<String> notes, Map<String, Long> kvm, long... exitsByReason) {
        ExitStats stats = new ExitStats(0, 1);
        for (int i = 0; i + 1 < exitsByReason.length; i += 2) {
            for (long n = 0; n < exitsByReason[i + 1]; n++) {
                stats.record((int) exitsByReason[i], 1000);
            }
        }
        return new RunResult(new StopCause(StopCause.Kind.GUEST_EXIT, "debug exit, status 1", 1), List.of(),
                List.of(stats.snapshot()), kvm, 2_000_000, new long[8], notes, 0);
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = BuiltinGuests.patternByte(i);
        }
        return b;
    }

    private static List<Row> syntheticRows() {
        Row polled = Row.of(POLLED, run(Map.of("vcpu.exits", 2100L), ExitReason.IO.code(), 2048),
                pattern(1024), 1024, null, null);
        Row virtio = Row.of(IOEVENTFD, run(List.of("virtio-console@0: this host has no ioeventfd; QueueNotify stays an MMIO exit <sic>"),
                        Map.of("vcpu.exits", 60L), ExitReason.IO.code(), 1, ExitReason.MMIO.code(), 41),
                pattern(1024), 1024, null, polled);
        Row failed = Row.failed(new ComparePath("blk", "virtio-blk EVENT_IDX", "virtio-blk-read", Device.VIRTIO_BLK,
                POLLED_PATHS, 1, false), new IllegalStateException("no such device"));
        return List.of(polled, virtio, failed);
    }

    @Test
    void aRowCarriesTheMachinesNotesAndItsReasonsCompactly() {
        List<Row> rows = syntheticRows();
        Row virtio = rows.get(1);
        assertTrue(virtio.verified());
        assertTrue(virtio.note().contains("QueueNotify stays an MMIO exit"), virtio.note());
        assertEquals("IO 1, MMIO 41", CompareTable.reasons(virtio.userByReason()));
        assertEquals("-", CompareTable.reasons(Map.of()));
        assertEquals(2048.0 / 42, virtio.userReduction(), 1e-9);
        assertEquals(2100.0 / 60, virtio.kvmReduction(), 1e-9);
        assertEquals("", rows.get(0).note());
        String json = Json.write(virtio.asMap());
        assertTrue(json.contains("\"note\":\"virtio-console@0: this host has no ioeventfd;"), json);
        assertTrue(json.contains("\"user_exits_by_reason\":{\"IO\":1,\"MMIO\":41}"), json);
    }

    @Test
    void missingKvmCountsAndShortOutputAreExplainedInTheNote() {
        Row noStats = Row.of(POLLED, run(List.of("no KVM counts: this host's KVM has no binary stats fd (KVM_CAP_BINARY_STATS_FD)"),
                Map.of(), ExitReason.IO.code(), 10), pattern(1024), 1024, null, null);
        assertNull(noStats.kvmExits());
        assertEquals("no KVM counts: this host's KVM has no binary stats fd (KVM_CAP_BINARY_STATS_FD)", noStats.note());
        Row noExitsCounter = Row.of(POLLED, run(Map.of("vcpu.io_exits", 5L), ExitReason.IO.code(), 10),
                pattern(1024), 1024, null, null);
        assertEquals("no KVM counts: KVM's stats fd has no vCPU 'exits' counter", noExitsCounter.note());
        Row shortOutput = Row.of(POLLED, run(Map.of("vcpu.exits", 20L), ExitReason.IO.code(), 10),
                pattern(1000), 1024, null, null);
        assertFalse(shortOutput.verified());
        assertEquals(1000, shortOutput.bytes());
        assertTrue(shortOutput.note().startsWith("got 1000 of 1024 bytes"), shortOutput.note());
    }

    @Test
    void aHostWhereNoPathRunsGivesARowPerPathSayingWhy() throws IOException {
        List<Row> rows = new Comparison(65536, 512, 1, tmp.resolve("no-kvm-here")).measure(false, true);
        assertEquals(4, rows.size(), rows.toString());
        for (Row r : rows) {
            assertFalse(r.verified(), r.path());
            assertTrue(r.note().startsWith("could not run on this host: ") && r.note().contains("no-kvm-here"), r.note());
            assertNull(r.userReduction());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompareTable.print(rows, new PrintStream(out, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertEquals(4, table.lines().filter(l -> l.startsWith("    note: could not run on this host")).count(), table);
        assertFalse(table.contains("NaN"), table);
        String json = Json.write(rows.get(0).asMap());
        assertTrue(json.contains("\"user_exits_per_kib\":null") && !json.contains("NaN"), json);
    }

    @Test
    void theHtmlReportIsOneSelfContainedPageWithSvgCharts() {
        String html = HtmlReport.render(syntheticRows());
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.strip().endsWith("</html>"), html);
        assertFalse(html.contains("NaN"), html);
        for (String tag : List.of("html", "head", "body", "svg", "table", "tr", "td", "th", "h2", "h3", "p", "style")) {
            assertEquals(count(html, "<" + tag + "[ >]"), count(html, "</" + tag + ">"), "unbalanced <" + tag + ">");
        }
        assertEquals(6, count(html, "<svg "), "three charts for each of two workloads");
        assertTrue(count(html, "<rect ") >= 9, html);
        // Nothing fetched: no script, no external resource, no URL but the SVG namespace name.
        assertFalse(Pattern.compile("<script|<link|<img|<iframe|src=|@import|url\\(").matcher(html).find(), html);
        Matcher url = Pattern.compile("(https?|ftp)://[^\"' )]+").matcher(html);
        while (url.find()) {
            assertEquals("http://www.w3.org/2000/svg", url.group(), "external URL in the page");
        }
        assertTrue(html.contains("IO 1, MMIO 41"), "user exits by reason in the table");
        assertTrue(html.contains("&lt;sic&gt;") && !html.contains("<sic>"), "notes are escaped");
        assertTrue(html.contains("could not run on this host: no such device"), html);
    }

    @Test
    void theLogChartsHaveAGridlinePerDecadeAndTheFactorBesideEachBar() {
        String html = HtmlReport.render(syntheticRows());
        // 2048 and 42 exits per KiB: the user chart spans the decades from 10 to 10k.
        for (String decade : List.of(">10<", ">100<", ">1k<", ">10k<")) {
            assertTrue(html.contains(decade), "decade label " + decade);
        }
        assertTrue(html.contains("log scale: each gridline is 10x the one to its left"), html);
        assertTrue(html.contains("<tspan font-weight=\"bold\">48.8x fewer</tspan>"), "2048 / 42 beside the virtio bar");
        assertTrue(html.contains("<tspan font-weight=\"bold\">35.0x fewer</tspan>"), "2100 / 60 on the KVM chart");
        assertEquals("0.001", HtmlReport.decade(-3));
        assertEquals("1", HtmlReport.decade(0));
        assertEquals("100k", HtmlReport.decade(5));
        assertEquals("1M", HtmlReport.decade(6));
    }

    private static int count(String text, String regex) {
        return (int) Pattern.compile(regex).matcher(text).results().count();
    }

    @Test
    void theHtmlReportRendersInHeadlessChromium() throws IOException, InterruptedException {
        boolean chromium = Files.isExecutable(Path.of("/usr/bin/chromium")) || System.getenv("PATH") != null
                && java.util.Arrays.stream(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "chromium")));
        Assumptions.assumeTrue(chromium, "chromium is not installed (scripts/env/test-deps.sh installs it)");
        Path report = tmp.resolve("compare.html");
        Files.writeString(report, HtmlReport.render(syntheticRows()));
        Path log = tmp.resolve("check.log");
        Process p = new ProcessBuilder("bash", Path.of("..", "scripts", "check", "check-html-report.sh").toString(), report.toString(),
                tmp.resolve("compare.png").toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(180, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(done, "check-html-report.sh did not finish in 180 s: " + output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("check-html-report: ok"), output);
    }
}
