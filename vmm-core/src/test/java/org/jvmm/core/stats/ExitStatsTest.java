package org.jvmm.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
