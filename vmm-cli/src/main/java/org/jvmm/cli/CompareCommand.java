package org.jvmm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.jvmm.cli.compare.CompareTable;
import org.jvmm.cli.compare.Comparison;
import org.jvmm.cli.compare.HtmlReport;
import org.jvmm.cli.compare.Row;
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

    @Override
    public Integer call() throws Exception {
        List<Row> rows = measure();
        report(rows, System.out);
        return rows.stream().allMatch(Row::verified) ? 0 : 1;
    }

    List<Row> measure() throws java.io.IOException {
        if (!List.of("all", "console", "blk").contains(workload)) {
            throw new IllegalArgumentException("--workload must be console, blk or all");
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
