package org.jvmm.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.core.vcpu.VcpuStop;
import org.jvmm.core.vcpu.VcpuMilestones;

/**
 * The start-up and memory report that {@code JVMM_STARTUP_REPORT=1} asks for, one line on stderr,
 * printed when the first vCPU stops (so that a run stopped by a signal reports too), or when jvmm
 * ends if no vCPU ran:
 *
 * <pre>jvmm-startup: main_ms=.. first_run_ms=.. stop_ms=.. rss_kib=.. hwm_kib=.. guest_kib=.. vmm_kib=..</pre>
 *
 * <ul>
 *   <li>{@code main_ms}, {@code cli_ms}, {@code first_run_ms}, {@code stop_ms}: when {@code main}
 *       began, when the command line was read (by QuickRunLine, or picocli's model built),
 *       when the first vCPU was about to make its first {@code KVM_RUN}, and when the first vCPU loop ended
 *       (for a guest that stops itself, its debug exit or power-off), in milliseconds from the
 *       launcher's start ({@code JVMM_LAUNCHED_AT}, which ./jvmm sets; the process's start time,
 *       to 10 ms, without it: {@code launch=process}).
 *   <li>memory at that stop, from {@code /proc/self}: resident set ({@code rss_kib}), its peak
 *       ({@code hwm_kib}), the part of it that is guest RAM ({@code guest_kib}: the resident pages
 *       of the mappings registered with KVM, from {@code smaps}), and the rest, the VMM itself
 *       ({@code vmm_kib} = rss - guest), split into anonymous and file-backed pages as the kernel
 *       counts them ({@code anon_kib} and {@code file_kib} include the guest's and the libraries').
 * </ul>
 *
 * Nothing here is loaded unless the report is asked for. Memory is read and the line printed on the
 * vCPU thread when its loop has ended, while the guest's memory is still mapped.
 */
final class StartupReport implements VcpuMilestones.Listener {

    /** The environment variable that asks for the report. */
    static final String ENV = "JVMM_STARTUP_REPORT";
    /** Set by ./jvmm to bash's EPOCHREALTIME ("seconds.microseconds") as its first step. */
    static final String LAUNCHED_AT = "JVMM_LAUNCHED_AT";

    private static volatile StartupReport installed;

    private final Instant launched;
    private final boolean fromLauncher;
    private final Instant mainWall;
    private final long mainNanos;
    private volatile long cliNanos;
    private volatile long firstRunNanos;
    private volatile long stopNanos;
    private volatile String memory;
    private final PrintStream out;
    private boolean printed;

    private StartupReport(Instant launched, boolean fromLauncher, PrintStream out) {
        this.out = out;
        this.launched = launched;
        this.fromLauncher = fromLauncher;
        this.mainWall = Instant.now();
        this.mainNanos = System.nanoTime();
    }

    /**
     * Starts the report when the environment asks for it.
     *
     * @return the report, or null when not asked for
     */
    static StartupReport installIfAsked() {
        if (System.getenv(ENV) == null) {
            return null;
        }
        Instant launch = parseLaunch(System.getenv(LAUNCHED_AT));
        StartupReport report = launch != null ? new StartupReport(launch, true, System.err)
                : new StartupReport(ProcessHandle.current().info().startInstant().orElse(Instant.now()), false, System.err);
        VcpuMilestones.setListener(report);
        installed = report;
        return report;
    }

    /** Main's mark: the command line is read. Does nothing unless the report was asked for. */
    static void cliReady() {
        StartupReport report = installed;
        if (report != null && report.cliNanos == 0) {
            report.cliNanos = System.nanoTime();
        }
    }

    /** "1733241234.123456" (bash's EPOCHREALTIME) as an instant; null when absent or malformed. */
    static Instant parseLaunch(String text) {
        if (text == null) {
            return null;
        }
        int dot = text.indexOf('.') >= 0 ? text.indexOf('.') : text.indexOf(',');
        try {
            long seconds = Long.parseLong(dot < 0 ? text : text.substring(0, dot));
            String fraction = dot < 0 ? "" : text.substring(dot + 1);
            if (fraction.length() > 9 || !fraction.chars().allMatch(Character::isDigit)) {
                return null;
            }
            long nanos = fraction.isEmpty() ? 0 : Long.parseLong((fraction + "000000000").substring(0, 9));
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public void firstRun(Vcpu vcpu) {
        if (firstRunNanos == 0) {
            firstRunNanos = System.nanoTime();
        }
    }

    @Override
    public synchronized void stopped(Vcpu vcpu, VcpuStop stop) {
        if (stopNanos != 0) {
            return;
        }
        stopNanos = System.nanoTime();
        memory = memory(vcpu.fd().vm().guestMappings());
        print();
    }

    private double sinceLaunch(long nanos) {
        return Duration.between(launched, mainWall).toNanos() / 1e6 + (nanos - mainNanos) / 1e6;
    }

    /** Prints the report line, once: at the first vCPU's stop, or when jvmm ends if none ran. */
    synchronized void print() {
        if (printed) {
            return;
        }
        printed = true;
        out.println(line());
    }

    String line() {
        StringBuilder line = new StringBuilder("jvmm-startup:");
        line.append(String.format(Locale.ROOT, " main_ms=%.1f", sinceLaunch(mainNanos)));
        if (cliNanos != 0) {
            line.append(String.format(Locale.ROOT, " cli_ms=%.1f", sinceLaunch(cliNanos)));
        }
        if (firstRunNanos != 0) {
            line.append(String.format(Locale.ROOT, " first_run_ms=%.1f", sinceLaunch(firstRunNanos)));
        }
        if (stopNanos != 0) {
            line.append(String.format(Locale.ROOT, " stop_ms=%.1f", sinceLaunch(stopNanos)));
        }
        if (memory != null) {
            line.append(memory);
        }
        line.append(fromLauncher ? " launch=launcher" : " launch=process");
        return line.toString();
    }

    /** " rss_kib=.. hwm_kib=.. guest_kib=.. vmm_kib=.. anon_kib=.. file_kib=..", or a note why not. */
    static String memory(List<MemorySegment> guest) {
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            long rss = statusKib(status, "VmRSS:");
            long guestKib = residentKib(Files.readAllLines(Path.of("/proc/self/smaps")), guest);
            return String.format(Locale.ROOT, " rss_kib=%d hwm_kib=%d guest_kib=%d vmm_kib=%d anon_kib=%d file_kib=%d",
                    rss, statusKib(status, "VmHWM:"), guestKib, rss - guestKib, statusKib(status, "RssAnon:"),
                    statusKib(status, "RssFile:") + statusKib(status, "RssShmem:"));
        } catch (IOException | RuntimeException e) {
            return " memory=unavailable(" + e.getMessage() + ")";
        }
    }

    /** The "NAME: N kB" value of /proc/self/status, or -1. */
    static long statusKib(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    /**
     * The resident kB of the mappings that overlap {@code ranges}, from smaps lines. A mapping that
     * also covers memory outside the ranges counts whole (the kernel merges neighbouring anonymous
     * mappings with the same flags): an upper bound then, which is rare for guest RAM mapped on its own.
     */
    static long residentKib(List<String> smaps, List<MemorySegment> ranges) {
        long total = 0;
        boolean inside = false;
        for (String line : smaps) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash) && isHex(line, dash + 1, space)) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = false;
                for (MemorySegment range : ranges) {
                    long from = range.address();
                    long to = from + range.byteSize();
                    if (Long.compareUnsigned(start, to) < 0 && Long.compareUnsigned(from, end) < 0) {
                        inside = true;
                        break;
                    }
                }
            } else if (inside && line.startsWith("Rss:")) {
                total += Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        return total;
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return to > from;
    }
}
