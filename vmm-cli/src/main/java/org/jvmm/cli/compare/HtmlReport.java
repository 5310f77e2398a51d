package org.jvmm.cli.compare;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
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
                binary stats fd, which also counts exits handled in the kernel. The exit charts use a log scale with a
                gridline per decade (one gridline shorter is 10x fewer); beside each bar, its value and how many times
                fewer exits per KiB it takes than the workload's port-I/O row. Linux rows count only the exits between
                the guest's phase marks around the transfer.</p>
                """);
        for (String workload : rows.stream().map(Row::workload).distinct().toList()) {
            List<Row> part = rows.stream().filter(r -> r.workload().equals(workload)).toList();
            String heading = CompareTable.title(workload).substring(3);
            page.append("<h2>").append(escape(Character.toUpperCase(heading.charAt(0)) + heading.substring(1))).append("</h2>\n");
            page.append(chart("User-space exits per KiB", part, Row::userExitsPerKib, Row::userReduction, true));
            page.append(chart("KVM exits per KiB", part, r -> r.kvmExitsPerKib() == null ? Double.NaN : r.kvmExitsPerKib(),
                    Row::kvmReduction, true));
            page.append(chart("Wall time (ms)", part, Row::wallMs, null, false));
            page.append("<table><tr><th>path</th><th>bytes</th><th>verified</th><th>user exits</th><th>KVM exits</th>"
                    + "<th>wall ms</th><th>guest ms</th><th>MiB/s</th><th>user exits by reason</th><th>note</th></tr>\n");
            for (Row r : part) {
                page.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td%s>%s</td><td>%d</td><td>%s</td><td>%s</td>"
                                + "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>%n",
                        escape(r.path()), r.bytes(), r.verified() ? "" : " class=\"bad\"", r.verified() ? "yes" : "NO",
                        r.userExits(), r.kvmExits() == null ? "-" : r.kvmExits(),
                        Double.isNaN(r.wallMs()) ? "-" : String.format(Locale.ROOT, "%.1f", r.wallMs()),
                        r.guestMs() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.guestMs()),
                        Double.isNaN(r.mibPerS()) ? "-" : String.format(Locale.ROOT, "%.3f", r.mibPerS()),
                        escape(CompareTable.reasons(r.userByReason())), escape(r.note())));
            }
            page.append("</table>\n");
        }
        return page.append("</body></html>\n").toString();
    }

    private static final int LABEL_WIDTH = 310;
    private static final int PLOT_WIDTH = 420;
    private static final int NOTE_WIDTH = 190;
    private static final int BAR_HEIGHT = 22;
    private static final int AXIS_HEIGHT = 34;

    /**
     * A bar chart. On the log scale every decade has a gridline and a label, so a bar one gridline
     * shorter means 10x fewer; the reduction against the workload's port-I/O row is written beside
     * each bar as well, since lengths on a log scale do not show factors to the eye.
     */
    private static String chart(String title, List<Row> rows, ToDoubleFunction<Row> value, Function<Row, Double> factor,
                                boolean log) {
        double max = rows.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).max().orElse(1);
        double minPositive = rows.stream().mapToDouble(value).filter(v -> v > 0).min().orElse(1);
        int lo = (int) Math.floor(Math.log10(minPositive));
        int hi = Math.max((int) Math.ceil(Math.log10(Math.max(max, minPositive))), lo + 1);
        double linearMax = niceCeiling(Math.max(max, 1e-9));
        int width = LABEL_WIDTH + PLOT_WIDTH + NOTE_WIDTH;
        int height = rows.size() * (BAR_HEIGHT + 6) + AXIS_HEIGHT;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<h3>%s</h3>%n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">%n",
                escape(title), width, height, escape(title)));
        int plotBottom = rows.size() * (BAR_HEIGHT + 6);
        // Gridlines and their labels: every decade on the log scale, five steps on the linear one.
        int ticks = log ? hi - lo : 5;
        for (int t = 0; t <= ticks; t++) {
            int x = LABEL_WIDTH + (int) Math.round((double) PLOT_WIDTH * t / ticks);
            String label = log ? decade(lo + t) : number(linearMax * t / ticks);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                    x, x, plotBottom + 4, t == 0 ? "#888" : "#ddd", x, plotBottom + 17, label));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                LABEL_WIDTH + PLOT_WIDTH / 2, plotBottom + 31,
                log ? "log scale: each gridline is 10x the one to its left" : "linear scale"));
        int y = 0;
        for (Row r : rows) {
            double v = value.applyAsDouble(r);
            double share = Double.isNaN(v) || v <= 0 ? 0
                    : log ? (Math.log10(v) - lo) / (hi - lo) : v / linearMax;
            int length = (int) Math.round(PLOT_WIDTH * Math.min(Math.max(share, 0), 1));
            Double f = factor == null ? null : factor.apply(r);
            String beside = (Double.isNaN(v) ? "-" : number(v))
                    + (f == null ? "" : String.format(Locale.ROOT, "  <tspan font-weight=\"bold\">%sx fewer</tspan>", number(f)));
            svg.append(String.format(Locale.ROOT,
                    "<text x=\"0\" y=\"%d\" font-size=\"13\">%s</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n",
                    y + 16, escape(r.path()), LABEL_WIDTH, y + 2, Math.max(length, 1), BAR_HEIGHT,
                    isPortIo(r) ? "#c0502a" : "#2a7ab9", LABEL_WIDTH + length + 6, y + 17, beside));
            y += BAR_HEIGHT + 6;
        }
        return svg.append("</svg>\n").toString();
    }

    private static boolean isPortIo(Row r) {
        return !(r.path().startsWith("virtio") || r.path().startsWith("hvc0") || r.path().startsWith("vda"));
    }

    /** A decade's label: 0.001, 0.1, 1, 10, 1k, 100k, 1M. */
    static String decade(int exponent) {
        if (exponent < 0) {
            return "0." + "0".repeat(-exponent - 1) + "1";
        }
        String[] suffix = {"", "k", "M", "G"};
        int group = Math.min(exponent / 3, suffix.length - 1);
        return "1" + "0".repeat(exponent - 3 * group) + suffix[group];
    }

    /** 1, 2, 5 times a power of ten, at or above {@code v}. */
    private static double niceCeiling(double v) {
        double power = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * power >= v) {
                return step * power;
            }
        }
        return 10 * power;
    }

    private static String number(double v) {
        if (v == 0) {
            return "0";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 1 ? "%.1f" : "%.3f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
