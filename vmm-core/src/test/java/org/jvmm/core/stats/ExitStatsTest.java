package org.jvmm.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jvmm.core.kvm.ExitReason;
import org.junit.jupiter.api.Test;

class ExitStatsTest {

    @Test
    void recordsCountsTimesAndExtremesPerReason() {
        ExitStats stats = new ExitStats(0, 2);
        stats.record(ExitReason.IO.code(), 100);
        stats.record(ExitReason.IO.code(), 300);
        stats.record(ExitReason.MMIO.code(), 50);
        stats.record(1000, 7); // unknown codes share the last slot
        ExitStatsSnapshot s = stats.snapshot();
        assertEquals(2, s.exits(ExitReason.IO.code()));
        assertEquals(400, s.totalNanos()[ExitReason.IO.code()]);
        assertEquals(100, s.minNanos()[ExitReason.IO.code()]);
        assertEquals(300, s.maxNanos()[ExitReason.IO.code()]);
        assertEquals(1, s.exits(ExitStats.REASONS - 1));
        assertEquals(4, s.totalExits());
        assertEquals(457, s.totalNanosAll());
        assertEquals(2, s.histograms()[ExitReason.IO.code()].count());
        assertEquals(Long.MAX_VALUE, s.minNanos()[ExitReason.HLT.code()], "no HLT yet");
    }

    @Test
    void portsAndMmioDevicesAreCountedWithUnclaimedApart() {
        ExitStats stats = new ExitStats(0, 2);
        stats.recordPort(0x3f8, 10, false);
        stats.recordPort(0x80, 20, true);
        stats.recordPort(0x80, 20, true);
        stats.recordMmio(1, 5);
        stats.recordMmio(-1, 6);
        stats.recordMmio(7, 8); // an entry registered after the stats were made: counted as unclaimed slot
        ExitStatsSnapshot s = stats.snapshot();
        assertEquals(1, s.portExits()[0x3f8]);
        assertEquals(2, s.portExits()[0x80]);
        assertEquals(40, s.portNanos()[0x80]);
        assertEquals(2, s.unclaimedPio());
        assertEquals(1, s.mmioExits()[1]);
        assertEquals(0, s.mmioExits()[0]);
        assertEquals(2, s.mmioExits()[2]);
        assertEquals(1, s.unclaimedMmio());
    }

    @Test
    void snapshotIsACopy() {
        ExitStats stats = new ExitStats(3, 0);
        stats.record(ExitReason.HLT.code(), 1);
        ExitStatsSnapshot s = stats.snapshot();
        stats.record(ExitReason.HLT.code(), 1);
        assertEquals(1, s.exits(ExitReason.HLT.code()));
        assertEquals(1, s.histograms()[ExitReason.HLT.code()].count());
        assertEquals(3, s.vcpu());
    }

    @Test
    void mergeSumsCountsAndTimesAndKeepsTheExtremes() {
        ExitStats a = new ExitStats(0, 1);
        ExitStats b = new ExitStats(1, 1);
        a.record(ExitReason.IO.code(), 100);
        a.recordPort(0x10, 100, false);
        b.record(ExitReason.IO.code(), 40);
        b.record(ExitReason.IO.code(), 900);
        b.recordPort(0x10, 940, false);
        b.record(ExitReason.MMIO.code(), 5);
        b.recordMmio(-1, 5);
        ExitStatsSnapshot m = ExitStatsSnapshot.merge(List.of(a.snapshot(), b.snapshot()));
        assertEquals(-1, m.vcpu());
        assertEquals(3, m.exits(ExitReason.IO.code()));
        assertEquals(1040, m.totalNanos()[ExitReason.IO.code()]);
        assertEquals(40, m.minNanos()[ExitReason.IO.code()]);
        assertEquals(900, m.maxNanos()[ExitReason.IO.code()]);
        assertEquals(3, m.histograms()[ExitReason.IO.code()].count());
        assertEquals(2, m.portExits()[0x10]);
        assertEquals(1040, m.portNanos()[0x10]);
        assertEquals(1, m.mmioExits()[1]);
        assertEquals(1, m.unclaimedMmio());
        assertEquals(4, m.totalExits());
        assertEquals(Long.MAX_VALUE, m.minNanos()[ExitReason.HLT.code()]);
    }

    @Test
    void mergeOfOneIsMarkedAsAMergeToo() {
        ExitStats a = new ExitStats(5, 0);
        a.record(ExitReason.HLT.code(), 1);
        ExitStatsSnapshot m = ExitStatsSnapshot.merge(List.of(a.snapshot()));
        assertEquals(-1, m.vcpu());
        assertEquals(1, m.totalExits());
    }

    @Test
    void untimedExitsAreCountedAndTotalsScaledFromTheTimedOnes() {
        ExitStats stats = new ExitStats(0, 1);
        int io = ExitReason.IO.code();
        stats.record(io, 100);
        stats.recordPort(0x10, 100, false);
        stats.record(io, 300);
        stats.recordPort(0x10, 300, false);
        for (int i = 0; i < 8; i++) {
            stats.record(io, ExitStats.UNTIMED);
            stats.recordPort(0x10, ExitStats.UNTIMED, false);
        }
        stats.record(ExitReason.MMIO.code(), 50);
        stats.recordMmio(0, 50);
        stats.record(ExitReason.MMIO.code(), ExitStats.UNTIMED);
        stats.recordMmio(0, ExitStats.UNTIMED);
        ExitStatsSnapshot s = stats.snapshot();
        assertEquals(10, s.exits(io));
        assertEquals(2, s.timed()[io]);
        assertEquals(2000, s.totalNanos()[io], "400 ns over 2 timed exits, 10 exits in all");
        assertEquals(100, s.minNanos()[io]);
        assertEquals(300, s.maxNanos()[io]);
        assertEquals(2, s.histograms()[io].count(), "the histogram is the sample's");
        assertEquals(10, s.portExits()[0x10]);
        assertEquals(2000, s.portNanos()[0x10], "a port's time scales with the port-I/O reason's sample");
        assertEquals(2, s.mmioExits()[0]);
        assertEquals(100, s.mmioNanos()[0]);
        assertEquals(3, s.totalTimed());
    }

    /** How often {@code shouldTime} says yes to each of two exit kinds that take turns. */
    private static int[] timedOfAlternatingKinds(ExitStats stats, int exits) {
        int[] timed = new int[2];
        for (int i = 0; i < exits; i++) {
            int kind = i & 1;
            if (stats.shouldTime(ExitReason.IO.code())) {
                timed[kind]++;
                stats.record(ExitReason.IO.code(), 1);
            } else {
                stats.record(ExitReason.IO.code(), ExitStats.UNTIMED);
            }
        }
        return timed;
    }

    @Test
    void samplingDoesNotLineUpWithAPeriodicGuest() {
        // A guest polling a UART alternates LSR reads and THR writes: a fixed one-in-16 sample would
        // time only one of the two. The random gaps time both about equally.
        ExitStats stats = new ExitStats(0, 0);
        int[] timed = timedOfAlternatingKinds(stats, 64_000);
        int expected = 64_000 / ExitStats.DEFAULT_TIMING_INTERVAL / 2;
        for (int kind = 0; kind < 2; kind++) {
            assertTrue(Math.abs(timed[kind] - expected) < expected / 8,
                    "kind " + kind + ": " + timed[kind] + " timed, expected about " + expected);
        }
    }

    @Test
    void theTimingIntervalIsChecked() {
        ExitStats stats = new ExitStats(0, 0);
        assertThrows(IllegalArgumentException.class, () -> stats.setTimingInterval(0));
        assertThrows(IllegalArgumentException.class, () -> stats.setTimingInterval((1 << 20) + 1));
        stats.setTimingInterval(4);
        assertEquals(4, stats.timingInterval());
        int[] timed = timedOfAlternatingKinds(stats, 40_000);
        int total = timed[0] + timed[1];
        assertTrue(Math.abs(total - 10_000) < 1_000, total + " timed of 40000 at one in 4");
    }
}
