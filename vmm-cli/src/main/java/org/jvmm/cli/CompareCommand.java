package org.jvmm.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.jvmm.cli.machine.DeviceSpec;
import org.jvmm.cli.machine.MachineConfig;
import org.jvmm.cli.machine.RawMachine;
import org.jvmm.cli.machine.RunResult;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvmm compare}: the same work over each I/O path, on built-in guests, with the exits each
 * path cost, counted by jvmm (user space) and by KVM (its stats fd).
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Run the same console output and block reads over port I/O and virtio paths; show the exits each costs.")
final class CompareCommand implements Callable<Integer> {

    @Option(names = "--bytes", defaultValue = "65536", description = "console bytes per run (default: ${DEFAULT-VALUE})")
    int bytes;

    @Option(names = "--blk-bytes", defaultValue = "4194304", description = "bytes read per block run (default: ${DEFAULT-VALUE})")
    int blkBytes;

    @Option(names = "--workload", defaultValue = "all", description = "console, blk or all (default: ${DEFAULT-VALUE})")
    String workload;

    @Option(names = "--repeat", defaultValue = "1", description = "runs per path; the median run is reported")
    int repeat;

    @Option(names = "--json", description = "print one JSON object per row")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE", description = "write a self-contained HTML report with SVG charts")
    Path html;

    record Path0(String workload, String name, String guest, List<String> devices, long flags, boolean pioBaseline) {}

    /** One measured path. Field names are the JSON names documented in the README. */
    record Row(String workload, String path, long bytes, boolean verified, long userExits, Map<String, Long> userByReason,
               Long kvmExits, double userExitsPerKib, Double kvmExitsPerKib, double wallMs, double mibPerS,
               Double userReduction, Double kvmReduction, String note) {}

    @Override
    public Integer call() throws Exception {
        List<Row> rows = measure();
        report(rows, System.out);
        return rows.stream().allMatch(Row::verified) ? 0 : 1;
    }

    /**
     * Runs every path of the chosen workloads; a path that cannot run on this host gives a row that
     * says why instead of ending the comparison.
     *
     * @return one row per path, console paths first
     * @throws IOException when the temporary block image cannot be written
     */
    List<Row> measure() throws IOException {
        if (bytes < 1 || blkBytes < 512 || blkBytes % 512 != 0 || repeat < 1) {
            throw new IllegalArgumentException("--bytes must be positive, --blk-bytes a positive multiple of 512, --repeat positive");
        }
        if (!List.of("all", "console", "blk").contains(workload)) {
            throw new IllegalArgumentException("--workload must be console, blk or all");
        }
        List<Row> rows = new ArrayList<>();
        if (!workload.equals("blk")) {
            rows.addAll(runWorkload(consolePaths(), null));
        }
        if (!workload.equals("console")) {
            Path image = Files.createTempFile("jvmm-compare", ".img");
            try {
                byte[] data = new byte[blkBytes];
                new SplittableRandom(42).nextBytes(data);
                Files.write(image, data);
                rows.addAll(runWorkload(blkPaths(image), GuestImages.fnv1a(data)));
            } finally {
                Files.deleteIfExists(image);
            }
        }
        return rows;
    }

    /**
     * Prints the rows as asked (table or JSON lines) and writes the HTML report if asked.
     *
     * @param rows what {@link #measure} gave
     * @param out  where the table or JSON goes
     * @throws IOException when the HTML file cannot be written
     */
    void report(List<Row> rows, java.io.PrintStream out) throws IOException {
        if (json) {
            for (Row row : rows) {
                out.println(Json.write(asMap(row)));
            }
        } else {
            printTable(rows, out);
        }
        if (html != null) {
            Files.writeString(html, HtmlReport.render(rows));
            if (!json) {
                out.println("HTML report: " + html.toAbsolutePath());
            }
        }
    }

    private List<Path0> consolePaths() {
        return List.of(
                new Path0("console", "8250 polled", "uart-poll", List.of(), 0, true),
                new Path0("console", "8250 irq + FIFO", "uart-irq", List.of(), 0, false),
                new Path0("console", "virtio-console notify=exit", "virtio-console", List.of("virtio-console,irq=none"), 0, false),
                new Path0("console", "virtio-console notify=ioeventfd", "virtio-console",
                        List.of("virtio-console,notify=ioeventfd,irq=none"), 0, false),
                new Path0("console", "virtio-console EVENT_IDX", "virtio-console", List.of("virtio-console,irq=none"), 1, false));
    }

    private List<Path0> blkPaths(Path image) {
        String path = "path=" + image;
        return List.of(
                new Path0("blk", "ata-pio (rep insw)", "ata-read", List.of("ata-pio," + path + ",ro"), 0, true),
                new Path0("blk", "virtio-blk notify=exit", "virtio-blk-read", List.of("virtio-blk," + path + ",ro,irq=none"), 0, false),
                new Path0("blk", "virtio-blk notify=ioeventfd", "virtio-blk-read",
                        List.of("virtio-blk," + path + ",ro,notify=ioeventfd,irq=none"), 0, false),
                new Path0("blk", "virtio-blk EVENT_IDX", "virtio-blk-read", List.of("virtio-blk," + path + ",ro,irq=none"), 1, false));
    }

    private List<Row> runWorkload(List<Path0> paths, Long expectedChecksum) throws IOException {
        List<Row> rows = new ArrayList<>();
        Row baseline = null;
        for (Path0 path : paths) {
            List<Row> runs = new ArrayList<>();
            Row failure = null;
            for (int i = 0; i < repeat && failure == null; i++) {
                try {
                    runs.add(runOnce(path, expectedChecksum, baseline));
                } catch (IOException | RuntimeException e) {
                    failure = failed(path, e);
                }
            }
            if (failure != null) {
                rows.add(failure);
                continue;
            }
            runs.sort(Comparator.comparingDouble(Row::wallMs));
            Row median = runs.get(runs.size() / 2);
            if (path.pioBaseline() && median.verified()) {
                baseline = median;
            }
            rows.add(median);
        }
        return rows;
    }

    private Row runOnce(Path0 path, Long expectedChecksum, Row baseline) throws IOException {
        boolean console = path.workload().equals("console");
        long size = console ? bytes : blkBytes;
        long[] args = new long[16];
        args[0] = size;
        args[1] = path.flags();
        ByteArrayOutputStream captured = new ByteArrayOutputStream(console ? bytes : 0);
        OutputStream serial = console && path.devices().isEmpty() ? captured : OutputStream.nullOutputStream();
        List<String> devices = new ArrayList<>(path.devices());
        if (console && !devices.isEmpty()) {
            Path out = Files.createTempFile("jvmm-console", ".out");
            devices.set(0, devices.get(0) + ",out=" + out);
            try {
                List<String> notes = new ArrayList<>();
                RunResult result = run(path, serial, devices, args, notes);
                captured.write(Files.readAllBytes(out));
                return row(path, result, notes, captured.toByteArray(), size, null, baseline);
            } finally {
                Files.deleteIfExists(out);
            }
        }
        List<String> notes = new ArrayList<>();
        RunResult result = run(path, serial, devices, args, notes);
        return row(path, result, notes, captured.toByteArray(), size, expectedChecksum, baseline);
    }

    private RunResult run(Path0 path, OutputStream serial, List<String> devices, long[] args, List<String> notes)
            throws IOException {
        MachineConfig config = new MachineConfig(GuestImages.load(path.guest()), true, 64L << 20, 1, true, serial, null,
                devices.stream().map(DeviceSpec::parse).toList(), args);
        try (RawMachine machine = RawMachine.build(config)) {
            RunResult result = machine.run(Duration.ofMinutes(10));
            notes.addAll(machine.notes());
            return result;
        }
    }

    /** The row of a path that could not run: no counts, and the reason in the note. */
    static Row failed(Path0 path, Exception e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new Row(path.workload(), path.name(), 0, false, 0, Map.of(), null, Double.NaN, null, Double.NaN,
                Double.NaN, null, null, "could not run on this host: " + reason);
    }

    static Row row(Path0 path, RunResult result, List<String> machineNotes, byte[] output, long size,
                   Long expectedChecksum, Row baseline) {
        boolean verified;
        String note = "";
        if (expectedChecksum != null) {
            verified = result.exitStatus() == 1 && result.results()[0] == size && result.results()[1] == expectedChecksum;
            if (!verified) {
                note = "checksum or count mismatch: " + result.summary();
            }
        } else {
            verified = result.exitStatus() == 1 && output.length == size;
            for (int i = 0; verified && i < output.length; i++) {
                verified = output[i] == GuestImages.patternByte(i);
            }
            if (!verified) {
                note = "got " + output.length + " of " + size + " bytes (" + result.summary() + ")";
            }
        }
        List<String> notes = new ArrayList<>(machineNotes);
        if (!note.isEmpty()) {
            notes.addFirst(note);
        }
        ExitStatsSnapshot s = result.merged();
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (int r = 0; r < s.count().length; r++) {
            if (s.count()[r] > 0) {
                byReason.put(ExitReason.describe(r), s.count()[r]);
            }
        }
        double kib = size / 1024.0;
        Long kvm = result.kvmDelta().get("vcpu.exits");
        if (kvm == null && !result.kvmDelta().isEmpty()) {
            notes.add("no KVM counts: KVM's stats fd has no vCPU 'exits' counter");
        } else if (kvm == null && notes.stream().noneMatch(n -> n.startsWith("no KVM counts"))) {
            notes.add("no KVM counts: KVM's stats fd gave no counters");
        }
        double userPerKib = s.totalExits() / kib;
        Double kvmPerKib = kvm == null ? null : kvm / kib;
        double wallMs = result.wallNanos() / 1e6;
        Double userReduction = baseline == null || !verified ? null : baseline.userExitsPerKib() / Math.max(userPerKib, 1e-9);
        Double kvmReduction = baseline == null || !verified || kvmPerKib == null || baseline.kvmExitsPerKib() == null ? null
                : baseline.kvmExitsPerKib() / Math.max(kvmPerKib, 1e-9);
        return new Row(path.workload(), path.name(), verified ? size : output.length, verified, s.totalExits(), byReason,
                kvm, userPerKib, kvmPerKib, wallMs, size / 1048576.0 / (wallMs / 1000), userReduction, kvmReduction, String.join("; ", notes));
    }

    static Map<String, Object> asMap(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", r.workload());
        m.put("path", r.path());
        m.put("bytes", r.bytes());
        m.put("verified", r.verified());
        m.put("user_exits", r.userExits());
        m.put("user_exits_by_reason", r.userByReason());
        m.put("kvm_exits", r.kvmExits());
        m.put("user_exits_per_kib", r.userExitsPerKib());
        m.put("kvm_exits_per_kib", r.kvmExitsPerKib());
        m.put("wall_ms", r.wallMs());
        m.put("mib_per_s", r.mibPerS());
        m.put("user_reduction", r.userReduction());
        m.put("kvm_reduction", r.kvmReduction());
        m.put("note", r.note());
        return m;
    }

    private static String num(Double d, String format) {
        return d == null || d.isNaN() ? "-" : String.format(Locale.ROOT, format, d);
    }

    /** {@return the user-space exits by reason, compact: "IO 131072, MMIO 2", or "-" for none} */
    static String reasons(Map<String, Long> byReason) {
        if (byReason.isEmpty()) {
            return "-";
        }
        StringBuilder text = new StringBuilder();
        byReason.forEach((reason, count) -> text.append(text.isEmpty() ? "" : ", ").append(reason).append(' ').append(count));
        return text.toString();
    }

    static void printTable(List<Row> rows, java.io.PrintStream out) {
        out.printf(Locale.ROOT, "%-34s %9s %4s %10s %10s %9s %9s %10s %9s %9s %9s  %s%n", "PATH", "BYTES", "OK",
                "USER EXITS", "KVM EXITS", "USER/KiB", "KVM/KiB", "WALL ms", "MiB/s", "USER x", "KVM x", "USER EXITS BY REASON");
        String workload = "";
        for (Row r : rows) {
            if (!r.workload().equals(workload)) {
                workload = r.workload();
                out.println(workload.equals("console") ? "-- console output" : "-- block reads");
            }
            out.printf(Locale.ROOT, "%-34s %9d %4s %10d %10s %9s %9s %10s %9s %9s %9s  %s%n", r.path(), r.bytes(),
                    r.verified() ? "yes" : "NO", r.userExits(), r.kvmExits() == null ? "-" : r.kvmExits().toString(),
                    num(r.userExitsPerKib(), "%.3f"), num(r.kvmExitsPerKib(), "%.3f"), num(r.wallMs(), "%.1f"),
                    num(r.mibPerS(), "%.3f"), num(r.userReduction(), "%.0f"), num(r.kvmReduction(), "%.0f"),
                    reasons(r.userByReason()));
            if (!r.note().isEmpty()) {
                out.println("    note: " + r.note());
            }
        }
        out.println();
        out.println("USER: exits that reached jvmm (KVM_RUN returned); KVM: the vCPU 'exits' counter of KVM's stats fd,");
        out.println("which also counts exits handled in the kernel. x: reduction against the port-I/O row (exits per KiB).");
    }
}
