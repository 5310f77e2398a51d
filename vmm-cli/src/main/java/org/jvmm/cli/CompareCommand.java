package org.jvmm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.jvmm.cli.compare.CompareTable;
import org.jvmm.cli.compare.Comparison;
import org.jvmm.cli.compare.HtmlReport;
import org.jvmm.cli.compare.LinuxComparison;
import org.jvmm.cli.compare.LinuxGuest;
import org.jvmm.cli.compare.Row;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvmm compare}: the same work over each I/O path, on built-in guests or (with
 * {@code --workload linux}) through Linux's own drivers, with the exits each path cost, counted by
 * jvmm (user space) and by KVM (its stats fd).
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Run the same console output and block reads over port I/O and virtio paths; show the exits each costs.")
final class CompareCommand implements Callable<Integer> {

    @Option(names = "--bytes", defaultValue = "65536", description = "console bytes per run (default: ${DEFAULT-VALUE})")
    int bytes;

    @Option(names = "--blk-bytes", defaultValue = "4194304", description = "bytes read per block run (default: ${DEFAULT-VALUE})")
    int blkBytes;

    @Option(names = "--workload", defaultValue = "all",
            description = "console, blk or all (built-in guests; default: ${DEFAULT-VALUE}), or linux (Debian's kernel"
                    + " and drivers: ttyS0, hvc0 and vda, fetched on first use)")
    String workload;

    @Option(names = "--kernel", paramLabel = "FILE",
            description = "with --workload linux: the kernel (default: scripts/env/fetch-guest.sh's Debian vmlinux)")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE",
            description = "with --workload linux: the base initramfs, with /bin/busybox (default: fetch-guest.sh's)")
    Path initrd;

    @Option(names = "--repeat", defaultValue = "1", description = "runs per path; the median run is reported")
    int repeat;

    @Option(names = "--json", description = "print one JSON object per row")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE", description = "write a self-contained HTML report with SVG charts")
    Path html;

    @Override
    public Integer call() throws Exception {
        List<Row> rows = measure();
        report(rows, System.out);
        return rows.stream().allMatch(Row::verified) ? 0 : 1;
    }

    List<Row> measure() throws java.io.IOException {
        if (!List.of("all", "console", "blk", "linux").contains(workload)) {
            throw new IllegalArgumentException("--workload must be console, blk, all or linux, not '" + workload + "'");
        }
        if (!workload.equals("linux") && (kernel != null || initrd != null)) {
            throw new IllegalArgumentException("--kernel and --initrd go with --workload linux");
        }
        if (workload.equals("linux")) {
            LinuxGuest guest = LinuxGuest.locate(kernel, initrd, System.err);
            return new LinuxComparison(bytes, blkBytes, repeat, KvmNode.path(), guest, System.err).measure();
        }
        return new Comparison(bytes, blkBytes, repeat, KvmNode.path())
                .measure(!workload.equals("blk"), !workload.equals("console"));
    }

    void report(List<Row> rows, java.io.PrintStream out) throws java.io.IOException {
        if (json) {
            for (Row row : rows) {
                out.println(Json.write(row.asMap()));
            }
        } else {
            CompareTable.print(rows, out);
        }
        if (html != null) {
            Files.writeString(html, HtmlReport.render(rows));
            if (!json) {
                out.println("HTML report: " + html.toAbsolutePath());
            }
        }
    }
}
