package org.jvmm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jvmm bench exit-roundtrip}: the cost of one port-I/O exit through jvmm's run loop, and the
 * same guest under a bare C loop built on the fly, in one run so the ratio compares like with like.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure exit handling. exit-roundtrip: ns per PIO exit, Java run loop against C.",
                "Without a benchmark name, ./jvmm bench runs the JMH suite (vmm-bench/run.sh: short profile,",
                "--full for the long one, -- JMH-ARGS to pass options)."})
final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "BENCHMARK", description = "exit-roundtrip")
    String benchmark;

    @Option(names = "--exits", defaultValue = "100000", description = "exits per measured run (default: ${DEFAULT-VALUE})")
    int exits;

    @Option(names = "--rounds", defaultValue = "3", description = "measured runs; the best is reported (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Option(names = "--stages", description = "also split the Java side into stages: a bare FFM ioctl downcall,"
            + " + errno capture, VcpuFd.run(), the whole Vcpu loop (each a loop of its own)")
    boolean stages;

    /** mov ecx, N; l: out 0x10, al; dec ecx; jnz l; hlt (16-bit real mode, at 0x7c00). */
    static byte[] loopGuest(int exits) {
        byte[] code = {0x66, (byte) 0xb9, 0, 0, 0, 0, (byte) 0xe6, 0x10, 0x66, 0x49, 0x75, (byte) 0xfa, (byte) 0xf4};
        code[2] = (byte) exits;
        code[3] = (byte) (exits >>> 8);
        code[4] = (byte) (exits >>> 16);
        code[5] = (byte) (exits >>> 24);
        return code;
    }

    @Override
    public Integer call() throws Exception {
        if (!benchmark.equals("exit-roundtrip")) {
            throw new IllegalArgumentException("unknown benchmark '" + benchmark + "' (known: exit-roundtrip)");
        }
        if (exits < 1 || rounds < 1) {
            throw new IllegalArgumentException("--exits and --rounds must be positive");
        }
        List<RoundTripStages> measured = stages ? List.of(RoundTripStages.values()) : List.of(RoundTripStages.VCPU_LOOP);
        Map<RoundTripStages, Double> best = new EnumMap<>(RoundTripStages.class);
        for (RoundTripStages stage : measured) {
            stage.nanosPerExit(exits / 10 + 1);
        }
        // Round by round, every stage once, so that a slow spell of the host falls on all of them.
        for (int i = 0; i < rounds; i++) {
            for (RoundTripStages stage : measured) {
                best.merge(stage, stage.nanosPerExit(exits), Math::min);
            }
        }
        double javaNs = best.get(RoundTripStages.VCPU_LOOP);
        Map<String, Double> c = cRoundTrip();
        Double cNs = c.get("c_ns_per_exit");
        Double cMaskNs = c.get("c_sigmask_ns_per_exit");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("java_ns_per_exit", javaNs);
        out.put("c_ns_per_exit", cNs);
        out.put("c_sigmask_ns_per_exit", cMaskNs);
        out.put("ratio", cNs == null ? null : javaNs / cNs);
        out.put("exits", exits);
        if (stages) {
            Map<String, Double> byStage = new LinkedHashMap<>();
            best.forEach((stage, ns) -> byStage.put(stage.name().toLowerCase(Locale.ROOT), ns));
            out.put("stages_ns_per_exit", byStage);
        }
        if (json) {
            System.out.println(Json.write(out));
        } else {
            System.out.printf(Locale.ROOT, "PIO exit round trip, %d exits, best of %d runs:%n", exits, rounds);
            System.out.printf(Locale.ROOT, "  java  %10.1f ns/exit%n", javaNs);
            if (cNs != null) {
                System.out.printf(Locale.ROOT, "  c     %10.1f ns/exit%n  ratio %10.3f (java / c)%n", cNs, javaNs / cNs);
                System.out.printf(Locale.ROOT, "  c with KVM_SET_SIGNAL_MASK %10.1f ns/exit (%+.1f: what blocking the kick"
                        + " signal outside the guest would cost)%n", cMaskNs, cMaskNs - cNs);
            } else {
                System.out.println("  c     (not measured: gcc or the C source is missing)");
            }
            if (stages) {
                printStages(best, cNs);
            }
        }
        return 0;
    }

    /** Each stage's figure, what it adds to the one above, and (first row) to C's loop. */
    private static void printStages(Map<RoundTripStages, Double> best, Double cNs) {
        System.out.println("  the Java side by stage (each its own loop; + is over the row above, the first row's over c):");
        Double previous = cNs;
        for (Map.Entry<RoundTripStages, Double> e : best.entrySet()) {
            String added = previous == null ? "" : String.format(Locale.ROOT, " (%+.1f)", e.getValue() - previous);
            System.out.printf(Locale.ROOT, "    %-26s %10.1f ns/exit%s%n", e.getKey().label(), e.getValue(), added);
            previous = e.getValue();
        }
    }

    /** The C reference's figures by name ({@code c_ns_per_exit}, {@code c_sigmask_ns_per_exit}), or none without gcc. */
    private Map<String, Double> cRoundTrip() throws IOException, InterruptedException {
        Path source = Path.of(System.getProperty("jvmm.home", "."), "vmm-bench/src/main/c/pio_roundtrip.c");
        if (!Files.exists(source) || !Files.isExecutable(Path.of("/usr/bin/gcc"))) {
            return Map.of();
        }
        Path binary = Files.createTempFile("jvmm-pio-roundtrip", "");
        try {
            run(List.of("gcc", "-O2", "-o", binary.toString(), source.toString()));
            String out = run(List.of(binary.toString(), Integer.toString(exits), Integer.toString(rounds)));
            Map<String, Double> figures = new LinkedHashMap<>();
            for (String token : out.trim().split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq > 0 && token.substring(0, eq).endsWith("_ns_per_exit")) {
                    figures.put(token.substring(0, eq), Double.parseDouble(token.substring(eq + 1)));
                }
            }
            if (!figures.containsKey("c_ns_per_exit") || !figures.containsKey("c_sigmask_ns_per_exit")) {
                throw new IOException("the C reference printed no result: " + out);
            }
            return figures;
        } finally {
            Files.deleteIfExists(binary);
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(command.get(0) + " failed: " + out.trim());
        }
        return out;
    }
}
