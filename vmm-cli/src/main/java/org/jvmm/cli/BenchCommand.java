package org.jvmm.cli;

import org.jvmm.machine.MemoryMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.vcpu.ExitDispatcher;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.core.vcpu.VcpuStop;
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
        javaRoundTrip(exits / 10 + 1);
        double javaNs = Double.MAX_VALUE;
        for (int i = 0; i < rounds; i++) {
            javaNs = Math.min(javaNs, javaRoundTrip(exits));
        }
        Map<String, Double> c = cRoundTrip();
        Double cNs = c.get("c_ns_per_exit");
        Double cMaskNs = c.get("c_sigmask_ns_per_exit");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("java_ns_per_exit", javaNs);
        out.put("c_ns_per_exit", cNs);
        out.put("c_sigmask_ns_per_exit", cMaskNs);
        out.put("ratio", cNs == null ? null : javaNs / cNs);
        out.put("exits", exits);
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
        }
        return 0;
    }

    /** One VM, the loop guest, jvmm's Vcpu and dispatcher with stats on; ns per exit. */
    static double javaRoundTrip(int exits) {
        try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm()) {
            GuestRam ram = GuestRam.allocate(0x10000);
            vm.addRam(ram);
            ram.memory().write(MemoryMap.REAL_MODE_ENTRY, loopGuest(exits));
            VcpuFd fd = vm.createVcpu(0);
            X86Setup.realMode(fd, 0, MemoryMap.REAL_MODE_ENTRY, MemoryMap.REAL_MODE_STACK);
            Bus pio = new Bus("pio");
            long[] sink = new long[1];
            pio.register("sink", new AddressRange(0x10, 1), new BusDevice() {
                @Override
                public long read(long offset, int size) {
                    return 0;
                }

                @Override
                public void write(long offset, int size, long value) {
                    sink[0] += value;
                }
            });
            ExitStats stats = new ExitStats(0, 0);
            Vcpu vcpu = new Vcpu(fd, new ExitDispatcher(pio, new Bus("mmio"), stats));
            long start = System.nanoTime();
            VcpuStop exit = vcpu.runOnCurrentThread();
            long elapsed = System.nanoTime() - start;
            vcpu.close();
            long seen = stats.snapshot().exits(ExitReason.IO.code());
            if (exit.reason() != ExitReason.HLT || seen != exits) {
                throw new IllegalStateException("loop guest ended with " + exit + " after " + seen + " exits, expected " + exits);
            }
            return (double) elapsed / exits;
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
