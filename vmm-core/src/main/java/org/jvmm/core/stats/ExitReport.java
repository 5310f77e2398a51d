package org.jvmm.core.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.kvm.ExitReason;

/**
 * The exit report of a run, laid out like {@code perf kvm stat report}: per exit reason the samples,
 * their share, the share of handling time, min/avg/max/p99 handling time; the same per vCPU; then per
 * port and MMIO device with the device's name; then KVM's in-kernel counters beside the user-space
 * total, so the exits user space never saw are visible too. When the guest marked phases of its
 * work ({@link PhaseAccounting}), a table of the exits per phase follows.
 */
public final class ExitReport {

    private ExitReport() {}

    /**
     * Formats the report.
     *
     * @param perVcpu    one snapshot per vCPU
     * @param pio        the port bus (for device names)
     * @param mmio       the MMIO bus (for device names)
     * @param kvmDelta   KVM's counters over the run (see {@link KvmCounters}), or an empty map
     * @param wallNanos  the run's wall time
     * @return the text
     */
    public static String format(List<ExitStatsSnapshot> perVcpu, Bus pio, Bus mmio, Map<String, Long> kvmDelta,
                                long wallNanos) {
        return format(perVcpu, pio, mmio, kvmDelta, wallNanos, PhaseReport.NONE);
    }

    /**
     * Formats the report with the exits per phase the guest marked; without marks, the same as
     * {@link #format(List, Bus, Bus, Map, long)}.
     *
     * @param perVcpu    one snapshot per vCPU
     * @param pio        the port bus (for device names)
     * @param mmio       the MMIO bus (for device names)
     * @param kvmDelta   KVM's counters over the run (see {@link KvmCounters}), or an empty map
     * @param wallNanos  the run's wall time
     * @param phases     the exits per phase
     * @return the text
     */
    public static String format(List<ExitStatsSnapshot> perVcpu, Bus pio, Bus mmio, Map<String, Long> kvmDelta,
                                long wallNanos, PhaseReport phases) {
        ExitStatsSnapshot all = ExitStatsSnapshot.merge(perVcpu);
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Analyze events for all VCPUs (%d), wall time %.3f s:%n%n",
                perVcpu.size(), wallNanos / 1e9));
        reasonTable(out, all);
        if (perVcpu.size() > 1) {
            for (ExitStatsSnapshot one : perVcpu) {
                out.append(String.format(Locale.ROOT, "%nvCPU %d:%n", one.vcpu()));
                reasonTable(out, one);
            }
        }
        deviceTable(out, all, pio, mmio);
        kvmTable(out, all, kvmDelta);
        if (phases.marked()) {
            phaseTable(out, phases);
        }
        return out.toString();
    }

    /**
     * Counts by name, compact.
     *
     * @param counts e.g. exits by reason
     * @return e.g. "IO 131072, MMIO 2", or "-" for none
     */
    public static String compact(Map<String, Long> counts) {
        if (counts.isEmpty()) {
            return "-";
        }
        StringBuilder text = new StringBuilder();
        counts.forEach((name, count) -> text.append(text.isEmpty() ? "" : ", ").append(name).append(' ').append(count));
        return text.toString();
    }

    private static void phaseTable(StringBuilder out, PhaseReport report) {
        long marks = report.phases().stream().mapToLong(Phase::marks).sum();
        out.append(String.format(Locale.ROOT, "%nPhases the guest marked (%d marks, %d dropped; \"before\" is the run up to"
                + " the first mark):%n", marks, report.droppedMarks()));
        out.append(String.format(Locale.ROOT, "%-8s %7s %12s %12s %12s  %s%n", "PHASE", "MARKS", "WALL ms", "USER EXITS",
                "KVM EXITS", "USER EXITS BY REASON"));
        long wall = 0;
        long user = 0;
        Long kvm = 0L;
        for (Phase p : report.phases()) {
            out.append(String.format(Locale.ROOT, "%-8s %7d %12.3f %12d %12s  %s%n", p.label(), p.marks(),
                    p.wallNanos() / 1e6, p.userExits(), p.kvmExits() == null ? "-" : p.kvmExits().toString(),
                    compact(p.exitsByReason())));
            wall += p.wallNanos();
            user += p.userExits();
            kvm = kvm == null || p.kvmExits() == null ? null : kvm + p.kvmExits();
        }
        out.append(String.format(Locale.ROOT, "%-8s %7s %12.3f %12d %12s%n", "Total", "", wall / 1e6, user,
                kvm == null ? "-" : kvm.toString()));
        out.append(String.format(Locale.ROOT, "%nPer phase, exits by device and by vCPU:%n"));
        for (Phase p : report.phases()) {
            StringBuilder vcpus = new StringBuilder();
            for (int v = 0; v < p.exitsByVcpu().size(); v++) {
                vcpus.append(v == 0 ? "" : ", ").append(v).append(": ").append(p.exitsByVcpu().get(v));
            }
            out.append(String.format(Locale.ROOT, "%-8s devices: %s; vCPUs: %s%n", p.label(), compact(p.exitsByDevice()),
                    vcpus));
        }
    }

    private static String us(long nanos) {
        return String.format(Locale.ROOT, "%.2fus", nanos / 1000.0);
    }

    /** An average, or "-" when none of the exits behind it was timed (an estimate of exactly 0). */
    private static String average(long totalNanos, long exits) {
        return totalNanos == 0 ? "-" : us(totalNanos / exits);
    }

    private static void reasonTable(StringBuilder out, ExitStatsSnapshot s) {
        long samples = s.totalExits();
        long time = s.totalNanosAll();
        out.append(String.format(Locale.ROOT, "%20s %10s %9s %9s %10s %10s %10s %10s%n",
                "VM-EXIT", "Samples", "Samples%", "Time%", "Min Time", "Avg Time", "Max Time", "p99 Time"));
        for (int r = 0; r < s.count().length; r++) {
            long n = s.count()[r];
            if (n == 0) {
                continue;
            }
            boolean timed = s.timed()[r] > 0;
            out.append(String.format(Locale.ROOT, "%20s %10d %8.2f%% %8.2f%% %10s %10s %10s %10s%n",
                    ExitReason.describe(r), n, 100.0 * n / samples, time == 0 ? 0 : 100.0 * s.totalNanos()[r] / time,
                    timed ? us(s.minNanos()[r]) : "-", timed ? us(s.totalNanos()[r] / n) : "-",
                    timed ? us(s.maxNanos()[r]) : "-", timed ? us(s.histograms()[r].percentile(0.99)) : "-"));
        }
        out.append(String.format(Locale.ROOT, "%20s %10d %8.2f%% %8.2f%%%n", "Total", samples,
                samples == 0 ? 0.0 : 100.0, time == 0 ? 0.0 : 100.0));
        long timedExits = s.totalTimed();
        if (timedExits < samples) {
            // Times come from a random sample (ExitStats): say how large, so nobody reads them as exact.
            out.append(String.format(Locale.ROOT, "%20s %10d exits timed; times are estimates from that sample%n",
                    "Timed", timedExits));
        }
    }

    private static void deviceTable(StringBuilder out, ExitStatsSnapshot s, Bus pio, Bus mmio) {
        List<String[]> rows = new ArrayList<>();
        for (int port = 0; port < s.portExits().length; port++) {
            long n = s.portExits()[port];
            if (n > 0) {
                Bus.Entry e = pio.lookup(port);
                rows.add(new String[] {String.format("port 0x%x", port), e == null ? "(unclaimed)" : e.name(),
                        Long.toString(n), average(s.portNanos()[port], n)});
            }
        }
        List<Bus.Entry> devices = mmio.entries();
        for (int i = 0; i < s.mmioExits().length; i++) {
            long n = s.mmioExits()[i];
            if (n > 0) {
                boolean unclaimed = i >= devices.size();
                rows.add(new String[] {unclaimed ? "mmio" : "mmio " + devices.get(i).range(),
                        unclaimed ? "(unclaimed)" : devices.get(i).name(), Long.toString(n), average(s.mmioNanos()[i], n)});
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        out.append(String.format(Locale.ROOT, "%n%-34s %-16s %10s %10s%n", "ADDRESS", "DEVICE", "Exits", "Avg Time"));
        for (String[] row : rows) {
            out.append(String.format(Locale.ROOT, "%-34s %-16s %10s %10s%n", (Object[]) row));
        }
    }

    private static void kvmTable(StringBuilder out, ExitStatsSnapshot s, Map<String, Long> kvm) {
        if (kvm.isEmpty()) {
            out.append(String.format("%nKVM in-kernel counters: not available on this host%n"));
            return;
        }
        out.append(String.format(Locale.ROOT, "%nKVM in-kernel counters over the run (binary stats fd; non-zero only):%n"));
        out.append(String.format(Locale.ROOT, "%-40s %12s%n", "COUNTER", "Delta"));
        kvm.forEach((name, value) -> {
            if (value != 0) {
                out.append(String.format(Locale.ROOT, "%-40s %12d%n", name, value));
            }
        });
        Long kvmExits = kvm.get("vcpu.exits");
        if (kvmExits != null) {
            long user = s.totalExits();
            out.append(String.format(Locale.ROOT, "%-40s %12d%n", "user-space exits (jvmm)", user));
            out.append(String.format(Locale.ROOT, "%-40s %12d%n", "handled in the kernel (exits - user)", kvmExits - user));
        }
    }
}
