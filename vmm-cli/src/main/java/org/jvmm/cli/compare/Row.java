package org.jvmm.cli.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.machine.BuiltinGuests;
import org.jvmm.machine.RunResult;

/**
 * One measured path. Field names are the JSON names documented in docs/performance.md.
 *
 * @param workload        "console" or "blk"
 * @param path            the path's name
 * @param bytes           bytes moved and verified (what arrived, when not verified)
 * @param verified        whether the bytes arrived whole and right
 * @param userExits       exits that reached jvmm
 * @param userByReason    those exits by reason
 * @param kvmExits        KVM's vCPU exit counter, or null where the host has none
 * @param userExitsPerKib user exits per KiB moved
 * @param kvmExitsPerKib  KVM exits per KiB, or null
 * @param wallMs          wall time of the run
 * @param mibPerS         throughput
 * @param userReduction   the baseline's user exits per KiB over this row's, or null
 * @param kvmReduction    the same for KVM's counter, or null
 * @param note            what the reader must know about this row (fallbacks, missing counts, failures)
 */
public record Row(String workload, String path, long bytes, boolean verified, long userExits,
                  Map<String, Long> userByReason, Long kvmExits, double userExitsPerKib, Double kvmExitsPerKib,
                  double wallMs, double mibPerS, Double userReduction, Double kvmReduction, String note) {

    /**
     * The row of a path that could not run: no counts, and the reason in the note.
     *
     * @param path the path
     * @param e    why
     * @return the row
     */
    static Row failed(ComparePath path, Exception e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new Row(path.workload(), path.name(), 0, false, 0, Map.of(), null, Double.NaN, null, Double.NaN,
                Double.NaN, null, null, "could not run on this host: " + reason);
    }

    /**
     * The row of a run.
     *
     * @param path             the path
     * @param result           the run
     * @param output           the console bytes that arrived (console paths)
     * @param size             bytes the guest was asked to move
     * @param expectedChecksum FNV-1a of the disk (block paths), or null for console paths
     * @param baseline         the baseline row of the workload, or null (this is it, or it failed)
     * @return the row
     */
    static Row of(ComparePath path, RunResult result, byte[] output, long size, Long expectedChecksum, Row baseline) {
        boolean ok = result.exitStatus() == 1;
        boolean verified;
        String note = "";
        if (expectedChecksum != null) {
            long[] words = result.guestResults();
            verified = ok && words[0] == size && words[1] == expectedChecksum;
            if (!verified) {
                note = "checksum or count mismatch: " + result.summary();
            }
        } else {
            verified = ok && output.length == size;
            for (int i = 0; verified && i < output.length; i++) {
                verified = output[i] == BuiltinGuests.patternByte(i);
            }
            if (!verified) {
                note = "got " + output.length + " of " + size + " bytes (" + result.summary() + ")";
            }
        }
        List<String> notes = new ArrayList<>(result.notes());
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
                kvm, userPerKib, kvmPerKib, wallMs, size / 1048576.0 / (wallMs / 1000), userReduction, kvmReduction,
                String.join("; ", notes));
    }

    /** {@return the row as a JSON object, fields in the documented order} */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", workload);
        m.put("path", path);
        m.put("bytes", bytes);
        m.put("verified", verified);
        m.put("user_exits", userExits);
        m.put("user_exits_by_reason", userByReason);
        m.put("kvm_exits", kvmExits);
        m.put("user_exits_per_kib", userExitsPerKib);
        m.put("kvm_exits_per_kib", kvmExitsPerKib);
        m.put("wall_ms", wallMs);
        m.put("mib_per_s", mibPerS);
        m.put("user_reduction", userReduction);
        m.put("kvm_reduction", kvmReduction);
        m.put("note", note);
        return m;
    }
}
