package org.jvmm.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code jvmm run}'s command line read without picocli, for the path that starts a guest.
 *
 * <p>Why: building picocli's model (loading its classes, reading every annotation through
 * reflection, making the annotations' proxies) took 5.5 s of the 13.5 s to the first
 * {@code KVM_RUN} in nested KVM, 40 % of jvmm's start-up (docs/performance.md). A well-formed
 * {@code run} line needs none of it.
 *
 * <p>It reads only what it is sure picocli reads the same way: known long options, each as
 * {@code --name value} or {@code --name=value}, flags without a value, each option once (but the
 * repeatable {@code --device} and {@code --arg}), values that do not start with '-' or '@', whole
 * numbers in plain decimal. Anything else (help, an unknown or repeated option, a missing value, an
 * argument file, a number picocli might read otherwise) returns null, and picocli parses the line,
 * with its own help and its own one-line errors. QuickRunLineTest holds the two parsers to the same
 * options and the same values.
 */
final class QuickRunLine {

    /** The options that take a value. */
    static final Set<String> VALUED = Set.of("--payload", "--kernel", "--initrd", "--cmdline", "--mode", "--mem",
            "--cpu", "--cpus", "--serial", "--device", "--arg", "--timeout", "--stats-json", "--stats-interval",
            "--jfr", "--jfr-threshold", "--gdb");
    /** The options without a value. */
    static final Set<String> FLAGS = Set.of("--no-acpi", "--hide-cx16", "--hide-xsave", "--no-irqchip", "--exit-stats",
            "--gdb-wait", "--gdb-allow-remote");
    /** What only picocli handles: the standard help options. */
    static final Set<String> PICOCLI_ONLY = Set.of("-h", "--help", "-V", "--version");

    private QuickRunLine() {}

    /**
     * The command that {@code args} (after {@code run}) describe, with picocli's defaults.
     *
     * @param args the arguments after {@code run}
     * @return the command, or null when picocli must parse this line
     */
    static RunCommand parse(List<String> args) {
        RunCommand run = new RunCommand();
        run.cmdline = RunCommand.DEFAULT_CMDLINE;
        run.mode = RunCommand.DEFAULT_MODE;
        run.mem = RunCommand.DEFAULT_MEM;
        run.cpu = RunCommand.DEFAULT_CPU;
        run.cpus = Integer.parseInt(RunCommand.DEFAULT_CPUS);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.startsWith("@")) {
                return null; // picocli reads an argument file
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (FLAGS.contains(name)) {
                if (eq >= 0 || !seen.add(name)) {
                    return null;
                }
                setFlag(run, name);
                continue;
            }
            if (!VALUED.contains(name)) {
                return null; // help, an unknown option, a positional argument, "--"
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                return null; // picocli says which value is missing
            }
            if (value.startsWith("-") || value.startsWith("@")) {
                return null; // picocli decides whether it is a value or the next option
            }
            boolean repeatable = name.equals("--device") || name.equals("--arg");
            if (!repeatable && !seen.add(name)) {
                return null;
            }
            try {
                if (!setValue(run, name, value)) {
                    return null;
                }
            } catch (InvalidPathException e) {
                return null; // picocli's one-line conversion error
            }
        }
        return run;
    }

    private static void setFlag(RunCommand run, String name) {
        switch (name) {
            case "--no-acpi" -> run.noAcpi = true;
            case "--hide-cx16" -> run.hideCx16 = true;
            case "--hide-xsave" -> run.hideXsave = true;
            case "--no-irqchip" -> run.noIrqchip = true;
            case "--exit-stats" -> run.exitStats = true;
            case "--gdb-wait" -> run.gdbWait = true;
            case "--gdb-allow-remote" -> run.gdbAllowRemote = true;
            default -> throw new IllegalStateException("flag without a field: " + name);
        }
    }

    /** Sets one option's field; false when only picocli can convert the value. */
    private static boolean setValue(RunCommand run, String name, String value) {
        switch (name) {
            case "--payload" -> run.payload = Path.of(value);
            case "--kernel" -> run.kernel = Path.of(value);
            case "--initrd" -> run.initrd = Path.of(value);
            case "--cmdline" -> run.cmdline = value;
            case "--mode" -> run.mode = value;
            case "--mem" -> run.mem = value;
            case "--cpu" -> run.cpu = value;
            case "--cpus" -> {
                if (!plainDecimal(value, 9)) {
                    return false;
                }
                run.cpus = Integer.parseInt(value);
            }
            case "--serial" -> run.serial = value;
            case "--device" -> run.devices.add(value);
            case "--arg" -> run.args.add(value);
            case "--timeout" -> {
                if (!plainDecimal(value, 18)) {
                    return false;
                }
                run.timeoutSeconds = Long.parseLong(value);
            }
            case "--stats-json" -> run.statsJson = Path.of(value);
            case "--stats-interval" -> run.statsInterval = value;
            case "--jfr" -> run.jfr = Path.of(value);
            case "--jfr-threshold" -> run.jfrThreshold = value;
            case "--gdb" -> run.gdb = value;
            default -> throw new IllegalStateException("option without a field: " + name);
        }
        return true;
    }

    /**
     * Digits without a leading zero, short enough not to overflow: the numbers that every reading
     * (Integer.valueOf, Integer.decode, picocli's) takes alike.
     */
    private static boolean plainDecimal(String value, int maxDigits) {
        if (value.isEmpty() || value.length() > maxDigits || (value.length() > 1 && value.charAt(0) == '0')) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
