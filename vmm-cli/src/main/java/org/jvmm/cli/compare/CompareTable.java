package org.jvmm.cli.compare;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jvmm.core.stats.ExitReport;

/** The {@code jvmm compare} table: one line per path, grouped by workload, with the notes under each. */
public final class CompareTable {
    private CompareTable() {}

    /**
     * Prints the table.
     *
     * @param rows the rows
     * @param out  where
     */
    public static void print(List<Row> rows, PrintStream out) {
        boolean guestTimes = rows.stream().anyMatch(r -> r.guestMs() != null);
        int width = Math.max(34, rows.stream().mapToInt(r -> r.path().length()).max().orElse(0));
        out.printf(Locale.ROOT, "%-" + width + "s %9s %4s %10s %10s %9s %9s %10s%s %9s %9s %9s  %s%n", "PATH", "BYTES", "OK",
                "USER EXITS", "KVM EXITS", "USER/KiB", "KVM/KiB", "WALL ms", guestTimes ? String.format("%10s", "GUEST ms") : "",
                "MiB/s", "USER x", "KVM x", "USER EXITS BY REASON");
        String workload = "";
        for (Row r : rows) {
            if (!r.workload().equals(workload)) {
                workload = r.workload();
                out.println(title(workload));
            }
            out.printf(Locale.ROOT, "%-" + width + "s %9d %4s %10d %10s %9s %9s %10s%s %9s %9s %9s  %s%n", r.path(), r.bytes(),
                    r.verified() ? "yes" : "NO", r.userExits(), r.kvmExits() == null ? "-" : r.kvmExits().toString(),
                    num(r.userExitsPerKib(), "%.3f"), num(r.kvmExitsPerKib(), "%.3f"), num(r.wallMs(), "%.1f"),
                    guestTimes ? String.format("%10s", num(r.guestMs(), "%.1f")) : "",
                    num(r.mibPerS(), "%.3f"), num(r.userReduction(), "%.0f"), num(r.kvmReduction(), "%.0f"),
                    reasons(r.userByReason()));
            if (!r.note().isEmpty()) {
                out.println("    note: " + r.note());
            }
        }
        out.println();
        out.println("USER: exits that reached jvmm (KVM_RUN returned); KVM: the vCPU 'exits' counter of KVM's stats fd,");
        out.println("which also counts exits handled in the kernel. x: reduction against the workload's port-I/O row");
        out.println("(exits per KiB). Linux rows count the exits between the guest's phase marks around the transfer.");
    }

    /**
     * A workload's heading.
     *
     * @param workload "console", "blk", "linux-console" or "linux-blk"
     * @return the line above its rows
     */
    static String title(String workload) {
        return switch (workload) {
            case "console" -> "-- console output";
            case "blk" -> "-- block reads";
            case LinuxComparison.CONSOLE -> "-- Linux console output (Debian's drivers; between the guest's phase marks)";
            case LinuxComparison.BLK -> "-- Linux block reads (virtio_blk, O_DIRECT; no port-I/O disk Linux drives here)";
            default -> "-- " + workload;
        };
    }

    /**
     * The user-space exits by reason, compact.
     *
     * @param byReason exits by reason name
     * @return e.g. "IO 131072, MMIO 2", or "-" for none
     */
    public static String reasons(Map<String, Long> byReason) {
        return ExitReport.compact(byReason);
    }

    private static String num(Double d, String format) {
        return d == null || d.isNaN() ? "-" : String.format(Locale.ROOT, format, d);
    }
}
