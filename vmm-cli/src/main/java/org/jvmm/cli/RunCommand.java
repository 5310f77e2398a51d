package org.jvmm.cli;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jvmm.cli.trace.JfrTracing;
import org.jvmm.core.arch.CpuFeatures;
import org.jvmm.core.host.RawTerminal;
import org.jvmm.core.stats.ExitReport;
import org.jvmm.gdb.GdbAddress;
import org.jvmm.gdb.GdbServer;
import org.jvmm.gdb.MachineTarget;
import org.jvmm.machine.Boot;
import org.jvmm.machine.CpuMode;
import org.jvmm.machine.KernelBoot;
import org.jvmm.machine.Machine;
import org.jvmm.machine.MachineBuilder;
import org.jvmm.machine.MachineConfigException;
import org.jvmm.machine.MemoryMap;
import org.jvmm.machine.RawPayload;
import org.jvmm.machine.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvmm run}: loads a flat binary per docs/machine.md and runs it. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a flat binary guest (layout: docs/machine.md). Exits with the guest's debug-exit status.")
final class RunCommand implements Callable<Integer> {

    /** "No timeout": a century, which Duration and CompletableFuture both handle. */
    private static final long NO_TIMEOUT_SECONDS = 100L * 365 * 24 * 3600;
    private static final int STDIN = 0;
    // The defaults, shared with QuickRunLine, which must set what picocli would.
    static final String DEFAULT_CMDLINE = "console=ttyS0 earlyprintk=serial panic=-1";
    static final String DEFAULT_MODE = "long";
    static final String DEFAULT_MEM = "64M";
    static final String DEFAULT_CPU = "host";
    static final String DEFAULT_CPUS = "1";

    @Option(names = "--payload", paramLabel = "FILE", description = "a flat binary (docs/machine.md)")
    Path payload;

    @Option(names = "--kernel", paramLabel = "FILE",
            description = "a Linux bzImage or ELF vmlinux (docs/linux-boot.md), or a Multiboot kernel (docs/multiboot.md)")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE",
            description = "with --kernel: the initramfs (a Multiboot kernel gets it as module 0)")
    Path initrd;

    @Option(names = "--cmdline", paramLabel = "STR", defaultValue = DEFAULT_CMDLINE,
            description = "with --kernel: the command line (default: ${DEFAULT-VALUE}); virtio-mmio entries are appended")
    String cmdline;

    @Option(names = "--no-acpi", description = "with --kernel: no ACPI tables; devices only on the command line")
    boolean noAcpi;

    @Option(names = "--hide-cx16", description = "with --kernel: hide CMPXCHG16B (hosts whose emulator lacks it)")
    boolean hideCx16;

    @Option(names = "--hide-xsave", description = "with --kernel: hide XSAVE (hosts whose emulator lacks it; add noxsave)")
    boolean hideXsave;

    @Option(names = "--mode", defaultValue = DEFAULT_MODE, paramLabel = "real|long",
            description = "entry mode (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--mem", defaultValue = DEFAULT_MEM, paramLabel = "SIZE", description = "RAM (default: ${DEFAULT-VALUE})")
    String mem;

    @Option(names = "--cpu", paramLabel = "host[,+F|-F...]", defaultValue = DEFAULT_CPU,
            description = "the CPU every vCPU sees: KVM's supported CPUID with features added (+F, kept where KVM "
                    + "has them) or removed (-F); QEMU's names (docs/machine.md). Default: ${DEFAULT-VALUE}")
    String cpu;

    @Option(names = "--cpus", defaultValue = DEFAULT_CPUS, paramLabel = "N", description = "vCPUs (default: ${DEFAULT-VALUE})")
    int cpus;

    @Option(names = "--serial", paramLabel = "out=FILE", description = "COM1 output to FILE instead of stdout")
    String serial;

    @Option(names = "--device", paramLabel = "SPEC",
            description = "virtio-console[,out=FILE] | virtio-blk,path=FILE[,ro] | virtio-rng, each with "
                    + "[,notify=exit|ioeventfd][,irq=line|irqfd|none][,event-idx=on|off]; ata-pio,path=FILE[,ro]")
    List<String> devices = new ArrayList<>();

    @Option(names = "--arg", paramLabel = "N=V", description = "guest argument N (0-15) of the parameter block")
    List<String> args = new ArrayList<>();

    @Option(names = "--no-irqchip", description = "no in-kernel PIC/IOAPIC/LAPIC: hlt then exits to jvmm")
    boolean noIrqchip;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "stop the guest after this long (default: 600 for --payload, none for --kernel)")
    Long timeoutSeconds;

    @Option(names = "--exit-stats", description = "print the exit report (perf kvm stat style) at the end")
    boolean exitStats;

    @Option(names = "--stats-json", paramLabel = "FILE", description = "write the exit report as JSON")
    Path statsJson;

    @Option(names = "--stats-interval", paramLabel = "DURATION",
            description = "print exits/s by reason every DURATION while the guest runs (e.g. 1s, 500ms)")
    String statsInterval;

    @Option(names = "--jfr", paramLabel = "FILE",
            description = "record JFR events of exits (those slower than --jfr-threshold) and of virtio devices")
    Path jfr;

    @Option(names = "--jfr-threshold", paramLabel = "DURATION",
            description = "with --jfr, record only exits whose handling took at least this long "
                    + "(default 100us; 0 records every exit; e.g. 0, 500ns, 20us, 1ms)")
    String jfrThreshold;

    @Option(names = "--gdb", paramLabel = "tcp:HOST:PORT|unix:PATH",
            description = "listen for gdb there (target remote HOST:PORT, or target remote PATH; docs/debugging.md)")
    String gdb;

    @Option(names = "--gdb-wait", description = "with --gdb, hold every vCPU before its first instruction until gdb continues")
    boolean gdbWait;

    @Option(names = "--gdb-allow-remote",
            description = "with --gdb, allow a host other than loopback (a gdb client controls the guest completely)")
    boolean gdbAllowRemote;

    @Override
    public Integer call() throws IOException {
        if (gdb == null && (gdbWait || gdbAllowRemote)) {
            throw new IllegalArgumentException((gdbWait ? "--gdb-wait" : "--gdb-allow-remote") + " goes with --gdb ADDRESS");
        }
        GdbAddress gdbAddress = null;
        if (gdb != null) {
            try {
                gdbAddress = GdbAddress.parse(gdb, gdbAllowRemote);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().replace("allow remote clients explicitly",
                        "add --gdb-allow-remote"), e);
            }
        }
        if (timeoutSeconds == null) {
            timeoutSeconds = kernel != null || gdb != null ? NO_TIMEOUT_SECONDS : 600L;
        }
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("--timeout must be a positive number of seconds, not " + timeoutSeconds);
        }
        Duration interval = statsInterval == null ? null : parseDuration(statsInterval);
        if (jfrThreshold != null && jfr == null) {
            throw new IllegalArgumentException("--jfr-threshold goes with --jfr FILE");
        }
        long thresholdNanos = jfrThreshold == null ? JfrTracing.DEFAULT_THRESHOLD_NANOS
                : JfrTracing.parseThreshold(jfrThreshold);
        // A terminal on stdin types into COM1 in raw mode, with Ctrl-A x to quit; a scripted run must
        // not wait on stdin. (System.console() is no test: since JDK 22 it exists for pipes too.)
        boolean interactive = RawTerminal.isTerminal(STDIN);
        CompletableFuture<Void> quit = new CompletableFuture<>();
        InputStream keyboard = interactive ? new ConsoleEscape(System.in, () -> quit.complete(null), System.err) : null;
        List<Closeable> opened = new ArrayList<>();
        JfrTracing tracing = null;
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = null;
        RawTerminal terminal = null;
        AtomicBoolean signalled = new AtomicBoolean();
        GdbServer gdbServer = null;
        MachineTarget gdbTarget = null;
        try {
            MachineBuilder builder = builder(keyboard, opened);
            // Bound before the machine is built: a busy address is one line, and no KVM is opened.
            gdbServer = gdbAddress == null ? null : GdbServer.bind(gdbAddress);
            if (jfr != null) {
                tracing = new JfrTracing(jfr, thresholdNanos);
                builder.exitListener(tracing).virtioObservers(JfrTracing::observer);
            }
            try (Machine machine = builder.build()) {
                quit.thenRun(() -> machine.stop("quit from the console (Ctrl-A x)"));
                if (interactive) {
                    terminal = RawTerminal.enter(STDIN);
                    System.err.println("jvmm: console on this terminal; " + ConsoleEscape.HELP);
                }
                hook = stopOnSignal(machine, terminal, closed, signalled);
                RunResult result;
                try (LiveStats live = interval == null ? null : new LiveStats(machine.vcpus(), interval, System.err)) {
                    machine.start(gdbWait);
                    if (gdbServer != null) {
                        gdbTarget = new MachineTarget(machine);
                        gdbServer.serve(gdbTarget, gdbTarget.commands());
                        System.err.println("jvmm: gdb stub on " + gdbServer.boundAddress() + (gdbWait
                                ? "; every vCPU waits for gdb's continue" : "") + " (gdb: target remote "
                                + connectHint(gdbServer.boundAddress()) + ")");
                    }
                    result = machine.awaitEnd(Duration.ofSeconds(timeoutSeconds));
                }
                System.out.flush();
                opened.forEach(RunCommand::flush);
                report(machine, result, exitStats, statsJson);
                tell(result, signalled.get(), quit.isDone());
                return result.exitStatus();
            }
        } finally {
            if (gdbServer != null) {
                gdbServer.close();
            }
            if (gdbTarget != null) {
                gdbTarget.close();
            }
            if (terminal != null) {
                terminal.close();
            }
            if (tracing != null) {
                tracing.close();
            }
            opened.forEach(RunCommand::close);
            closed.countDown();
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is what is running: it returns once closed counts down
                }
            }
        }
    }

    /** What gdb's {@code target remote} takes for a bound address. */
    static String connectHint(String bound) {
        if (bound.startsWith("unix:")) {
            return bound.substring(5); // gdb 13 takes a Unix socket by its path; it has no "unix::" form
        }
        return bound.substring(4);
    }

    /** SIGTERM/SIGINT: stop the vCPUs, let the main thread report, flush and close, then let the JVM exit. */
    private static Thread stopOnSignal(Machine machine, RawTerminal terminal, CountDownLatch closed, AtomicBoolean signalled) {
        Thread hook = Thread.ofPlatform().unstarted(() -> {
            signalled.set(true);
            machine.stop("stopped by a signal");
            try {
                if (closed.await(10, TimeUnit.SECONDS)) {
                    System.err.println("jvmm: stopped by a signal; disks flushed and closed");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (terminal != null) {
                    terminal.close(); // the main thread may be stuck: the shell gets its terminal back anyway
                }
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    /** What the user must hear about how the run ended, on stderr. */
    private void tell(RunResult result, boolean signalled, boolean quit) {
        if (!result.error() && !signalled && (kernel != null || quit)) {
            System.err.println("jvmm: " + result.summary()); // powered off, rebooted, quit: say which
        }
        if (result.hostFaults() > 0) {
            System.err.println("jvmm: " + result.hostFaults() + " device fault(s) on the host side, a bug in jvmm;"
                    + " the warnings above have the stack traces; exit status " + RunResult.HOST_FAULT_STATUS);
        }
        if (result.cause().isError()) {
            System.err.println("jvmm: guest stopped: " + result.summary());
            result.vcpuStops().stream().filter(s -> s.isError() && !s.registers().isEmpty())
                    .findFirst().ifPresent(s -> System.err.println(s.registers()));
        }
    }

    static Duration parseDuration(String text) {
        Duration duration;
        try {
            if (text.endsWith("ms")) {
                duration = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            } else if (text.endsWith("s")) {
                duration = Duration.ofMillis((long) (Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
            } else {
                duration = Duration.ofMillis((long) (Double.parseDouble(text) * 1000));
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (use e.g. 1s or 500ms)");
        }
        // Zero or less would make the live-stats thread print without pause.
        if (duration.toMillis() < 1) {
            throw new IllegalArgumentException("--stats-interval must be at least 1ms, not '" + text + "'");
        }
        return duration;
    }

    static void report(Machine machine, RunResult result, boolean text, Path json) throws IOException {
        if (text) {
            PrintStream err = System.err;
            err.println();
            err.print(ExitReport.format(result.perVcpu(), machine.pio(), machine.mmio(), result.kvmDelta(), result.wallNanos(),
                    result.phases()));
        }
        if (json != null) {
            Files.writeString(json, Json.write(StatsJson.of(result, machine.pio(), machine.mmio())) + "\n");
        }
    }

    /**
     * The machine these options describe. Files are checked here so each problem is one line naming
     * the option; streams this opens go to {@code opened}, for the caller to close.
     */
    private MachineBuilder builder(InputStream serialIn, List<Closeable> opened) throws IOException {
        if ((payload == null) == (kernel == null)) {
            throw new IllegalArgumentException("give either --payload FILE or --kernel FILE");
        }
        if (kernel == null && initrd != null) {
            throw new IllegalArgumentException("--initrd goes with --kernel");
        }
        if (!mode.equals("long") && !mode.equals("real")) {
            throw new IllegalArgumentException("--mode must be real or long, not '" + mode + "'");
        }
        CpuFeatures cpuFeatures = CpuFeatures.parse(cpu);
        List<DeviceOption> specs = devices.stream().map(DeviceOption::parse).toList();
        long memory = Sizes.parse(mem);
        if (memory == 0 || memory % 4096 != 0) {
            throw new IllegalArgumentException("--mem must be a positive multiple of 4 KiB, not " + mem);
        }
        Boot boot;
        if (kernel != null) {
            checkReadable(kernel, "kernel");
            if (initrd != null) {
                checkReadable(initrd, "initrd");
                if (Files.size(initrd) >= memory) {
                    throw new IllegalArgumentException("initrd " + initrd + " (" + Files.size(initrd)
                            + " bytes) does not fit in --mem " + mem);
                }
            }
            boot = new KernelBoot(kernel, initrd, cmdline, !noAcpi, hideCx16, hideXsave);
        } else {
            checkReadable(payload, "payload");
            boot = new RawPayload(Files.readAllBytes(payload), mode.equals("long") ? CpuMode.LONG : CpuMode.REAL,
                    parseArgs(args));
        }
        for (DeviceOption spec : specs) {
            if (spec.path() != null) {
                checkReadable(spec.path(), spec.kind().text() + " image");
                if (!spec.readOnly() && !Files.isWritable(spec.path())) {
                    throw new IllegalArgumentException(spec.kind().text() + " image " + spec.path()
                            + " is not writable (add ,ro to open it read-only)");
                }
            }
        }
        OutputStream serialOut = System.out;
        if (serial != null) {
            if (!serial.startsWith("out=") || serial.length() == 4) {
                throw new IllegalArgumentException("--serial takes out=FILE, not '" + serial + "'");
            }
            serialOut = open(Path.of(serial.substring(4)), opened);
        }
        for (DeviceOption spec : specs) {
            if (noIrqchip && spec.kind().isVirtio() && spec.options().containsKey("irq")
                    && !spec.options().get("irq").equals("none")) {
                throw new IllegalArgumentException(spec.kind().text() + ": irq=" + spec.options().get("irq")
                        + " needs the in-kernel irqchip (drop --no-irqchip)");
            }
        }
        MachineBuilder builder = Machine.builder().kvmDevice(KvmNode.path());
        flag("--mem " + mem, () -> builder.memory(memory));
        flag("--cpus " + cpus, () -> builder.cpus(cpus));
        builder.irqchip(!noIrqchip)
                .cpu(cpuFeatures)
                .boot(boot)
                .serial(serialOut, serialIn)
                .events(line -> System.err.println(line.startsWith("boot-time:") ? line : "jvmm: " + line));
        for (DeviceOption spec : specs) {
            OutputStream consoleOut = spec.out() == null ? serialOut : open(spec.out(), opened);
            builder.device(spec.toConfig(consoleOut));
        }
        return builder;
    }

    /** A builder setter's complaint about one option, with the option named. */
    private static void flag(String option, Runnable setter) {
        try {
            setter.run();
        } catch (MachineConfigException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }

    private static OutputStream open(Path file, List<Closeable> opened) throws IOException {
        OutputStream out = Files.newOutputStream(file);
        opened.add(out);
        return out;
    }

    private static void flush(Closeable stream) {
        try {
            ((OutputStream) stream).flush();
        } catch (IOException e) {
            System.err.println("jvmm: flushing an output file failed: " + e.getMessage());
        }
    }

    private static void close(Closeable stream) {
        try {
            stream.close();
        } catch (IOException e) {
            System.err.println("jvmm: closing an output file failed: " + e.getMessage());
        }
    }

    private static void checkReadable(Path file, String what) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(what + " " + file + ": no such file");
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(what + " " + file + " is a directory");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(what + " " + file + " is not readable (permission denied)");
        }
    }

    static long[] parseArgs(List<String> args) {
        long[] values = new long[MemoryMap.MAX_ARGS];
        for (String arg : args) {
            int eq = arg.indexOf('=');
            try {
                int index = Integer.parseInt(arg.substring(0, Math.max(eq, 0)));
                if (index < 0 || index >= MemoryMap.MAX_ARGS) {
                    throw new IllegalArgumentException("--arg index must be 0 to 15: '" + arg + "'");
                }
                values[index] = Long.decode(arg.substring(eq + 1));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                throw new IllegalArgumentException("--arg takes N=VALUE, not '" + arg + "'");
            }
        }
        return values;
    }
}
