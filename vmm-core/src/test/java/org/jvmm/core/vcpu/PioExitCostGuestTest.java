package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.testing.Guests;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/**
 * The cost of one PIO exit through Vcpu and ExitDispatcher: a guest does N {@code out}s, the
 * device only counts. Prints the figure (a measurement, not a benchmark: vmm-bench has those); the
 * assertions only check every exit arrived. Run twice in one JVM: the first run warms the JIT.
 */
@RequiresKvm
class PioExitCostGuestTest {

    /** Exits per run; {@code -Djvmm.exitCost.exits=20000} for a steadier figure than CI needs. */
    private static final int EXITS = Integer.getInteger("jvmm.exitCost.exits", 5_000);
    /** Runs in this JVM; the last one is the figure, the ones before warm up the JIT. */
    private static final int RUNS = Integer.getInteger("jvmm.exitCost.runs", 2);

    static final class Counter implements BusDevice {
        long writes;

        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
            writes++;
        }
    }

    private static void nanosPerExit(String label) {
        try (TestMachine m = TestMachine.create(1 << 20)) {
            Counter counter = m.port("counter", 0x10, 1, new Counter());
            ExitDispatcher dispatcher = m.dispatcher(0);
            Vcpu vcpu = new Vcpu(m.realModeVcpu(0, Guests.outLoop(0x10, 0, EXITS)), dispatcher);
            long start = System.nanoTime();
            VcpuStop exit = Guests.runToEnd(vcpu);
            long elapsed = System.nanoTime() - start;
            assertEquals(ExitReason.HLT, exit.reason());
            assertEquals(EXITS, counter.writes);
            ExitStatsSnapshot s = dispatcher.stats().snapshot();
            assertEquals(EXITS, s.exits(ExitReason.IO.code()));
            double perExit = (double) elapsed / (EXITS + 1);
            System.out.printf(Locale.ROOT, "[jvmm] PIO exit round trip (%s): %d exits in %.1f ms = %.0f ns/exit;"
                            + " user-space handling avg %.0f ns, p99 %d ns%n", label, EXITS + 1, elapsed / 1e6, perExit,
                    (double) s.totalNanos()[ExitReason.IO.code()] / EXITS,
                    s.histograms()[ExitReason.IO.code()].percentile(0.99));
        }
    }

    @Test
    void measureNanosPerPioExit() {
        for (int run = 1; run <= RUNS; run++) {
            nanosPerExit("run " + run + " of " + RUNS + (run == 1 ? ", cold JIT" : ""));
        }
    }
}
