package org.jvmm.cli.compare;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The {@code compare --html} page: self-contained, SVG bar charts, no script and no network. */
public final class HtmlReport {
    private HtmlReport() {}

    /**
     * The page.
     *
     * @param rows the compare rows
     * @return the HTML
     */
    public static String render(List<Row> rows) {
        StringBuilder page = new StringBuilder("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>jvmm compare</title>
                <style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
                td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}
                h2{margin-top:1.5em}.bad{color:#b00}</style></head><body>
                <h1>jvmm compare: what each I/O path costs in VM exits</h1>
                <p>User exits reached jvmm (KVM_RUN returned); KVM exits are the vCPU <code>exits</code> counter of KVM's
                binary stats fd, which also counts exits handled in the kernel. Bars use a log scale.</p>
                """);
        for (String workload : rows.stream().map(Row::workload).distinct().toList()) {
            List<Row> part = rows.stream().filter(r -> r.workload().equals(workload)).toList();
            page.append("<h2>").append(escape(CompareTable.title(workload).substring(3))).append("</h2>\n");
            page.append(chart("User-space exits per KiB", part, Row::userExitsPerKib, true));
            page.append(chart("KVM exits per KiB", part, r -> r.kvmExitsPerKib() == null ? Double.NaN : r.kvmExitsPerKib(), true));
            page.append(chart("Wall time (ms)", part, Row::wallMs, false));
            page.append("<table><tr><th>path</th><th>bytes</th><th>verified</th><th>user exits</th><th>KVM exits</th>"
                    + "<th>MiB/s</th><th>user exits by reason</th><th>note</th></tr>\n");
            for (Row r : part) {
                page.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td%s>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>%n",
                        escape(r.path()), r.bytes(), r.verified() ? "" : " class=\"bad\"", r.verified() ? "yes" : "NO",
                        r.userExits(), r.kvmExits() == null ? "-" : r.kvmExits(),
                        Double.isNaN(r.mibPerS()) ? "-" : String.format(Locale.ROOT, "%.3f", r.mibPerS()),
                        escape(CompareTable.reasons(r.userByReason())), escape(r.note())));
            }
            page.append("</table>\n");
        }
        return page.append("</body></html>\n").toString();
    }

    private static String chart(String title, List<Row> rows, ToDoubleFunction<Row> value,
                                boolean log) {
        int barHeight = 22;
        int labelWidth = 260;
        int width = 760;
        double max = rows.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).max().orElse(1);
        double scaleMax = log ? Math.log10(Math.max(max, 1) * 10) + 3 : max;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<h3>%s</h3>%n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">%n",
                escape(title), width, rows.size() * (barHeight + 6) + 4, escape(title)));
        int y = 2;
        for (Row r : rows) {
            double v = value.applyAsDouble(r);
            double scaled = Double.isNaN(v) ? 0 : log ? (v <= 0 ? 0 : Math.log10(v) + 3) : v;
            int length = scaleMax <= 0 ? 0 : (int) Math.round((width - labelWidth - 90) * Math.max(scaled, 0) / scaleMax);
            svg.append(String.format(Locale.ROOT,
                    "<text x=\"0\" y=\"%d\" font-size=\"13\">%s</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n",
                    y + 16, escape(r.path()), labelWidth, y, Math.max(length, 1), barHeight,
                    r.path().startsWith("virtio") ? "#2a7ab9" : "#c0502a", labelWidth + length + 6, y + 16,
                    Double.isNaN(v) ? "-" : String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.3f", v)));
            y += barHeight + 6;
        }
        return svg.append("</svg>\n").toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
