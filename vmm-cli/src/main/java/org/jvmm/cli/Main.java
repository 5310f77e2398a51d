package org.jvmm.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import jdk.jfr.FlightRecorder;
import org.jvmm.core.kvm.KvmException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jvmm} command. Errors the user can fix print one line and exit with status 2. */
// The subcommands are added in execute, only the one invoked when there is one: picocli reads the
// annotations of every command it is given, and that reading is most of jvmm's start-up.
@Command(name = "jvmm", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "A minimal KVM hypervisor in Java (FFM): run guests and see what their VM exits cost.")
public final class Main implements Runnable {

    /** What --version prints. */
    static final String VERSION = "jvmm 0.1.0";

    /** Exit status for a usage or input error. */
    static final int USAGE_ERROR = 2;

    private Main() {}

    /** Runs when no subcommand was given. */
    @Override
    public void run() {
        throw new IllegalArgumentException("missing subcommand: run, compare or bench (see jvmm --help)");
    }

    /**
     * Entry point.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        StartupReport report = StartupReport.installIfAsked();
        int status = execute(args);
        if (report != null) {
            report.print();
        }
        exit(status);
    }

    /**
     * Ends the process. {@code System.exit} first asks for a {@code System.Logger} to log the exit
     * at debug level (JDK 21 and later): on a run that logged nothing, that starts the logging
     * back-end and has the class loader open every module's jar in search of a logger service,
     * 20-40 ms of a 150 ms run of the hello guest (docs/performance.md). jvmm's own shutdown hook
     * is gone by now (RunCommand removes it once its disks are closed), so when no JFR recording
     * waits to be written by its hook and no shutdown has begun (a signal's, whose hooks must
     * finish and whose status wins), halting after flushing the two streams skips only that
     * lookup. The JVM still runs its own exit work either way (an AOT cache being trained is written).
     */
    private static void exit(int status) {
        if (FlightRecorder.isInitialized() || shutdownBegun()) {
            System.exit(status); // during a shutdown this waits for it, as before
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    /** Whether the JVM's shutdown has begun: it then refuses new shutdown hooks. */
    private static boolean shutdownBegun() {
        Thread probe = Thread.ofPlatform().unstarted(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException shuttingDown) {
            return true;
        }
    }

    /**
     * Runs the command without exiting the JVM (for tests and embedders).
     *
     * @param args the command line
     * @return the exit status
     */
    public static int execute(String... args) {
        if (args.length > 0 && args[0].equals("run")) {
            RunCommand quick = QuickRunLine.parse(Arrays.asList(args).subList(1, args.length));
            if (quick != null) {
                StartupReport.cliReady();
                try {
                    return quick.call();
                } catch (Exception e) {
                    return failed(e); // as picocli's execution exception handler below
                }
            }
        }
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            System.out.println(VERSION); // what picocli prints for it, without building its model
            return 0;
        }
        CommandLine cli = new CommandLine(new Main());
        switch (args.length == 0 ? "" : args[0]) {
            case "run" -> cli.addSubcommand(new RunCommand());
            case "compare" -> cli.addSubcommand(new CompareCommand());
            case "bench" -> cli.addSubcommand(new BenchCommand());
            default -> {
                // jvmm's own help, `jvmm help CMD` and an unknown subcommand's error list them all
                cli.addSubcommand(new RunCommand());
                cli.addSubcommand(new CompareCommand());
                cli.addSubcommand(new BenchCommand());
                cli.addSubcommand(new CommandLine.HelpCommand());
            }
        }
        StartupReport.cliReady();
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> failed(e));
        cli.setParameterExceptionHandler((e, args1) -> {
            System.err.println("jvmm: " + e.getMessage() + " (see jvmm " + commandName(e.getCommandLine()) + "--help)");
            return USAGE_ERROR;
        });
        return cli.execute(args);
    }

    private static int failed(Exception e) {
        System.err.println("jvmm: " + describe(e));
        return USAGE_ERROR;
    }

    private static String commandName(CommandLine commandLine) {
        return commandLine.getParent() == null ? "" : commandLine.getCommandName() + " ";
    }

    /** One line for an error, with what to do about it where that is known. */
    static String describe(Exception e) {
        if (e instanceof KvmException k && k.operation().startsWith("open ")) {
            String node = k.operation().substring(5);
            return switch (k.errno()) { // ENOENT, ENODEV; EACCES, EPERM
                case 2, 19 -> node + " does not exist: this host has no KVM (load kvm_intel or kvm_amd, or use a host with virtualization)";
                case 13, 1 -> "no permission to open " + node + " (add yourself to the kvm group or run as root)";
                default -> "cannot open " + node + ": " + k.getMessage();
            };
        }
        if (e instanceof KvmException k && k.operation().equals("KVM_GET_API_VERSION")) {
            // errno set: the ioctl itself failed, so the node is something else; errno 0: a KVM
            // that answered with an API version jvmm does not speak.
            return k.errno() != 0
                    ? KvmNode.path() + " is not a KVM device (" + k.getMessage() + ")"
                    : KvmNode.path() + ": unsupported KVM (" + k.getMessage() + ")";
        }
        if (e instanceof NoSuchFileException n) {
            return "no such file: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof IOException io) {
            return io.getMessage() == null ? io.toString() : io.getMessage();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
