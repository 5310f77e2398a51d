package org.jvmm.cli.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.stats.Phase;
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
 * @param wallMs          wall time of the run (Linux rows: between the transfer's phase marks)
 * @param guestMs         the guest's own clock over the transfer (Linux rows), or null
 * @param mibPerS         throughput
 * @param userReduction   the baseline's user exits per KiB over this row's, or null
 * @param kvmReduction    the same for KVM's counter, or null
 * @param note            what the reader must know about this row (fallbacks, missing counts, failures)
 */
public record Row(String workload, String path, long bytes, boolean verified, long userExits,
                  Map<String, Long> userByReason, Long kvmExits, double userExitsPerKib, Double kvmExitsPerKib,
                  double wallMs, Double guestMs, double mibPerS, Double userReduction, Double kvmReduction, String note) {

    /**
     * The row of a path that could not run: no counts, and the reason in the note.
     *
     * @param path the path
     * @param e    why
     * @return the row
     */
    static Row failed(ComparePath path, Exception e) {
        return failed(path.workload(), path.name(), e);
    }

    /**
     * The row of a path that could not run: no counts, and the reason in the note.
     *
     * @param workload the workload
     * @param name     the path's name
     * @param e        why
     * @return the row
     */
    static Row failed(String workload, String name, Exception e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new Row(workload, name, 0, false, 0, Map.of(), null, Double.NaN, null, Double.NaN, null,
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
                kvm, userPerKib, kvmPerKib, wallMs, null, size / 1048576.0 / (wallMs / 1000), userReduction, kvmReduction,
                String.join("; ", notes));
    }

    /**
     * The row of a transfer a guest marked as a phase of its own: the phase's exits only.
     *
     * @param workload the workload
     * @param name     the path's name
     * @param phase    the transfer's phase
     * @param size     bytes the guest was asked to move
     * @param verified whether they arrived whole and right
     * @param guestMs  the guest's own clock over the transfer, or null
     * @param notes    what the reader must know (the first says what the row measures)
     * @return the row, without reductions (see {@link #against})
     */
    static Row ofPhase(String workload, String name, Phase phase, long size, boolean verified, Double guestMs,
                       List<String> notes) {
        double kib = size / 1024.0;
        Long kvm = phase.kvmExits();
        List<String> all = new ArrayList<>(notes);
        if (kvm == null) {
            all.add("no KVM counts: KVM's stats fd gave no vCPU 'exits' counter");
        }
        double wallMs = phase.wallNanos() / 1e6;
        return new Row(workload, name, verified ? size : 0, verified, phase.userExits(), phase.exitsByReason(), kvm,
                phase.userExits() / kib, kvm == null ? null : kvm / kib, wallMs, guestMs, size / 1048576.0 / (wallMs / 1000),
                null, null, String.join("; ", all));
    }

    /**
     * This row with its reductions against a baseline row of the same workload.
     *
     * @param baseline the port-I/O row, or null when there is none that checked out
     * @return a copy with {@code userReduction} and {@code kvmReduction} set where both rows have the counts
     */
    Row against(Row baseline) {
        boolean comparable = baseline != null && baseline.verified() && verified;
        Double user = comparable ? baseline.userExitsPerKib() / Math.max(userExitsPerKib, 1e-9) : null;
        Double kvm = comparable && kvmExitsPerKib != null && baseline.kvmExitsPerKib() != null
                ? baseline.kvmExitsPerKib() / Math.max(kvmExitsPerKib, 1e-9) : null;
        return new Row(workload, path, bytes, verified, userExits, userByReason, kvmExits, userExitsPerKib, kvmExitsPerKib,
                wallMs, guestMs, mibPerS, user, kvm, note);
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
        m.put("guest_ms", guestMs);
        m.put("mib_per_s", mibPerS);
        m.put("user_reduction", userReduction);
        m.put("kvm_reduction", kvmReduction);
        m.put("note", note);
        return m;
    }
}
