package org.jvmm.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvmm.machine.RunResult;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.stats.Phase;
import org.jvmm.core.stats.PhaseReport;

/** The exit report of a run as JSON ({@code --stats-json}); field names are documented in docs/observability.md. */
final class StatsJson {
    private StatsJson() {}

    static Map<String, Object> of(RunResult result, Bus pio, Bus mmio) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("exit_status", result.exitStatus());
        root.put("summary", result.summary());
        root.put("wall_ns", result.wallNanos());
        root.put("total", reasons(result.merged()));
        List<Object> perVcpu = new ArrayList<>();
        for (ExitStatsSnapshot s : result.perVcpu()) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("vcpu", s.vcpu());
            v.put("reasons", reasons(s));
            perVcpu.add(v);
        }
        root.put("vcpus", perVcpu);
        ExitStatsSnapshot all = result.merged();
        List<Object> devices = new ArrayList<>();
        for (int port = 0; port < all.portExits().length; port++) {
            if (all.portExits()[port] > 0) {
                Bus.Entry e = pio.lookup(port);
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("space", "pio");
                d.put("address", port);
                d.put("device", e == null ? null : e.name());
                d.put("exits", all.portExits()[port]);
                d.put("total_ns", all.portNanos()[port]);
                devices.add(d);
            }
        }
        List<Bus.Entry> entries = mmio.entries();
        for (int i = 0; i < all.mmioExits().length; i++) {
            if (all.mmioExits()[i] > 0) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("space", "mmio");
                d.put("address", i < entries.size() ? entries.get(i).range().base() : null);
                d.put("device", i < entries.size() ? entries.get(i).name() : null);
                d.put("exits", all.mmioExits()[i]);
                d.put("total_ns", all.mmioNanos()[i]);
                devices.add(d);
            }
        }
        root.put("devices", devices);
        root.put("kvm_counters", result.kvmDelta());
        if (result.phases().marked()) {
            root.put("phases", phases(result.phases()));
        }
        return root;
    }

    /** The exits per phase the guest marked; only in reports of runs that marked any. */
    private static Map<String, Object> phases(PhaseReport report) {
        List<Object> rows = new ArrayList<>();
        for (Phase p : report.phases()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("phase", p.number());
            row.put("marks", p.marks());
            row.put("wall_ns", p.wallNanos());
            row.put("user_exits", p.userExits());
            row.put("reasons", p.exitsByReason());
            row.put("reasons_ns", p.nanosByReason());
            row.put("devices", p.exitsByDevice());
            row.put("vcpus", p.exitsByVcpu());
            row.put("kvm_counters", p.kvmCounters());
            rows.add(row);
        }
        Map<String, Object> phases = new LinkedHashMap<>();
        phases.put("dropped_marks", report.droppedMarks());
        phases.put("rows", rows);
        return phases;
    }

    private static List<Object> reasons(ExitStatsSnapshot s) {
        List<Object> rows = new ArrayList<>();
        for (int r = 0; r < s.count().length; r++) {
            long n = s.count()[r];
            if (n == 0) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("reason", ExitReason.describe(r));
            row.put("exits", n);
            row.put("timed", s.timed()[r]); // the sample behind the times (ExitStats): min, max, p99 are its
            row.put("total_ns", s.totalNanos()[r]);
            row.put("min_ns", s.minNanos()[r]);
            row.put("avg_ns", s.totalNanos()[r] / n);
            row.put("max_ns", s.maxNanos()[r]);
            row.put("p99_ns", s.histograms()[r].percentile(0.99));
            rows.add(row);
        }
        return rows;
    }
}
