package org.jvmm.cli;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jvmm.cli.machine.RawMachine;
import org.jvmm.cli.machine.RunResult;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStats;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code jvmm compare}'s rows, notes, table, JSON and HTML page without KVM: synthetic runs, and a
 * KVM device node that does not exist so every path fails the way an unsupported host would.
 */
class CompareReportTest {

    @TempDir
    Path tmp;

    private static final CompareCommand.Path0 POLLED =
            new CompareCommand.Path0("console", "8250 polled", "uart-poll", List.of(), 0, true);
    private static final CompareCommand.Path0 IOEVENTFD = new CompareCommand.Path0("console",
            "virtio-console notify=ioeventfd", "virtio-console", List.of("virtio-console,notify=ioeventfd,irq=none"), 0, false);

    private static RunResult run(Map<String, Long> kvm, long... exitsByReason) {
        ExitStats stats = new ExitStats(0, 1);
        for (int i = 0; i + 1 < exitsByReason.length; i += 2) {
            for (long n = 0; n < exitsByReason[i + 1]; n++) {
                stats.record((int) exitsByReason[i], 1000);
            }
        }
        return new RunResult(1, "debug exit, status 0", List.of(), List.of(stats.snapshot()), kvm, 2_000_000, new long[16],
                false, 0);
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = GuestImages.patternByte(i);
        }
        return b;
    }

    private static List<CompareCommand.Row> syntheticRows() {
        CompareCommand.Row polled = CompareCommand.row(POLLED, run(Map.of("vcpu.exits", 2100L), ExitReason.IO.code(), 2048),
                List.of(), pattern(1024), 1024, null, null);
        CompareCommand.Row virtio = CompareCommand.row(IOEVENTFD, run(Map.of("vcpu.exits", 60L),
                        ExitReason.IO.code(), 1, ExitReason.MMIO.code(), 41),
                List.of("virtio-console@0: this host has no ioeventfd; QueueNotify stays an MMIO exit <sic>"), pattern(1024),
                1024, null, polled);
        CompareCommand.Row failed = CompareCommand.failed(new CompareCommand.Path0("blk", "virtio-blk EVENT_IDX",
                "virtio-blk-read", List.of(), 1, false), new IllegalStateException("no such device"));
        return List.of(polled, virtio, failed);
    }

    @Test
    void aRowCarriesTheMachinesNotesAndItsReasonsCompactly() {
        List<CompareCommand.Row> rows = syntheticRows();
        CompareCommand.Row virtio = rows.get(1);
        assertTrue(virtio.verified());
        assertTrue(virtio.note().contains("QueueNotify stays an MMIO exit"), virtio.note());
        assertEquals("IO 1, MMIO 41", CompareCommand.reasons(virtio.userByReason()));
        assertEquals("-", CompareCommand.reasons(Map.of()));
        assertEquals(2048.0 / 42, virtio.userReduction(), 1e-9);
        assertEquals(2100.0 / 60, virtio.kvmReduction(), 1e-9);
        assertEquals("", rows.get(0).note());
        String json = Json.write(CompareCommand.asMap(virtio));
        assertTrue(json.contains("\"note\":\"virtio-console@0: this host has no ioeventfd;"), json);
        assertTrue(json.contains("\"user_exits_by_reason\":{\"IO\":1,\"MMIO\":41}"), json);
    }

    @Test
    void missingKvmCountsAndShortOutputAreExplainedInTheNote() {
        CompareCommand.Row noStats = CompareCommand.row(POLLED, run(Map.of(), ExitReason.IO.code(), 10),
                List.of("no KVM counts: this host's KVM has no binary stats fd (KVM_CAP_BINARY_STATS_FD)"), pattern(1024),
                1024, null, null);
        assertNull(noStats.kvmExits());
        assertEquals("no KVM counts: this host's KVM has no binary stats fd (KVM_CAP_BINARY_STATS_FD)", noStats.note());
        CompareCommand.Row noExitsCounter = CompareCommand.row(POLLED, run(Map.of("vcpu.io_exits", 5L), ExitReason.IO.code(), 10),
                List.of(), pattern(1024), 1024, null, null);
        assertEquals("no KVM counts: KVM's stats fd has no vCPU 'exits' counter", noExitsCounter.note());
        CompareCommand.Row shortOutput = CompareCommand.row(POLLED, run(Map.of("vcpu.exits", 20L), ExitReason.IO.code(), 10),
                List.of(), pattern(1000), 1024, null, null);
        assertFalse(shortOutput.verified());
        assertEquals(1000, shortOutput.bytes());
        assertTrue(shortOutput.note().startsWith("got 1000 of 1024 bytes"), shortOutput.note());
    }

    @Test
    void aHostWhereNoPathRunsGivesARowPerPathSayingWhy() throws IOException {
        String previous = System.getProperty(RawMachine.KVM_DEVICE_PROPERTY);
        System.setProperty(RawMachine.KVM_DEVICE_PROPERTY, tmp.resolve("no-kvm-here").toString());
        try {
            CompareCommand command = new CompareCommand();
            new CommandLine(command).parseArgs("--workload", "blk", "--blk-bytes", "512");
            List<CompareCommand.Row> rows = command.measure();
            assertEquals(4, rows.size(), rows.toString());
            for (CompareCommand.Row r : rows) {
                assertFalse(r.verified(), r.path());
                assertTrue(r.note().startsWith("could not run on this host: ") && r.note().contains("no-kvm-here"), r.note());
                assertNull(r.userReduction());
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            command.report(rows, new PrintStream(out, true, StandardCharsets.UTF_8));
            String table = out.toString(StandardCharsets.UTF_8);
            assertEquals(4, table.lines().filter(l -> l.startsWith("    note: could not run on this host")).count(), table);
            assertFalse(table.contains("NaN"), table);
            new CommandLine(command).parseArgs("--workload", "blk", "--blk-bytes", "512", "--json");
            out.reset();
            command.report(rows, new PrintStream(out, true, StandardCharsets.UTF_8));
            String json = out.toString(StandardCharsets.UTF_8);
            assertTrue(json.contains("\"user_exits_per_kib\":null") && !json.contains("NaN"), json);
        } finally {
            if (previous == null) {
                System.clearProperty(RawMachine.KVM_DEVICE_PROPERTY);
            } else {
                System.setProperty(RawMachine.KVM_DEVICE_PROPERTY, previous);
            }
        }
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
