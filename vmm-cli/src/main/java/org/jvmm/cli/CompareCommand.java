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
        if (json) {
            for (Row row : rows) {
                System.out.println(Json.write(asMap(row)));
            }
        } else {
            printTable(rows);
        }
        if (html != null) {
            Files.writeString(html, HtmlReport.render(rows));
            if (!json) {
                System.out.println("HTML report: " + html.toAbsolutePath());
            }
        }
        return rows.stream().allMatch(Row::verified) ? 0 : 1;
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
            for (int i = 0; i < repeat; i++) {
                runs.add(runOnce(path, expectedChecksum, baseline));
            }
            runs.sort(Comparator.comparingDouble(Row::wallMs));
            Row median = runs.get(runs.size() / 2);
            if (path.pioBaseline()) {
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
                RunResult result = run(path, serial, devices, args);
                captured.write(Files.readAllBytes(out));
                return row(path, result, captured.toByteArray(), size, null, baseline);
            } finally {
                Files.deleteIfExists(out);
            }
        }
        RunResult result = run(path, serial, devices, args);
        return row(path, result, captured.toByteArray(), size, expectedChecksum, baseline);
    }

    private RunResult run(Path0 path, OutputStream serial, List<String> devices, long[] args) throws IOException {
        MachineConfig config = new MachineConfig(GuestImages.load(path.guest()), true, 64L << 20, 1, true, serial, null,
                devices.stream().map(DeviceSpec::parse).toList(), args);
        try (RawMachine machine = RawMachine.build(config)) {
            return machine.run(Duration.ofMinutes(10));
        }
    }

    private static Row row(Path0 path, RunResult result, byte[] output, long size, Long expectedChecksum, Row baseline) {
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
        ExitStatsSnapshot s = result.merged();
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (int r = 0; r < s.count().length; r++) {
            if (s.count()[r] > 0) {
                byReason.put(ExitReason.describe(r), s.count()[r]);
            }
        }
        double kib = size / 1024.0;
        Long kvm = result.kvmDelta().get("vcpu.exits");
        double userPerKib = s.totalExits() / kib;
        Double kvmPerKib = kvm == null ? null : kvm / kib;
        double wallMs = result.wallNanos() / 1e6;
        Double userReduction = baseline == null ? null : baseline.userExitsPerKib() / Math.max(userPerKib, 1e-9);
        Double kvmReduction = baseline == null || kvmPerKib == null || baseline.kvmExitsPerKib() == null ? null
                : baseline.kvmExitsPerKib() / Math.max(kvmPerKib, 1e-9);
        return new Row(path.workload(), path.name(), verified ? size : output.length, verified, s.totalExits(), byReason,
                kvm, userPerKib, kvmPerKib, wallMs, size / 1048576.0 / (wallMs / 1000), userReduction, kvmReduction, note);
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
        return d == null ? "-" : String.format(Locale.ROOT, format, d);
    }

    private static void printTable(List<Row> rows) {
        System.out.printf(Locale.ROOT, "%-34s %9s %4s %10s %10s %9s %9s %10s %9s %9s %9s%n", "PATH", "BYTES", "OK",
                "USER EXITS", "KVM EXITS", "USER/KiB", "KVM/KiB", "WALL ms", "MiB/s", "USER x", "KVM x");
        String workload = "";
        for (Row r : rows) {
            if (!r.workload().equals(workload)) {
                workload = r.workload();
                System.out.println(workload.equals("console") ? "-- console output" : "-- block reads");
            }
            System.out.printf(Locale.ROOT, "%-34s %9d %4s %10d %10s %9.3f %9s %10.1f %9.3f %9s %9s%n", r.path(), r.bytes(),
                    r.verified() ? "yes" : "NO", r.userExits(), r.kvmExits() == null ? "-" : r.kvmExits().toString(),
                    r.userExitsPerKib(), num(r.kvmExitsPerKib(), "%.3f"), r.wallMs(), r.mibPerS(),
                    num(r.userReduction(), "%.0f"), num(r.kvmReduction(), "%.0f"));
            if (!r.note().isEmpty()) {
                System.out.println("    " + r.note());
            }
        }
        System.out.println();
        System.out.println("USER: exits that reached jvmm (KVM_RUN returned); KVM: the vCPU 'exits' counter of KVM's stats fd,");
        System.out.println("which also counts exits handled in the kernel. x: reduction against the port-I/O row (exits per KiB).");
    }
}
