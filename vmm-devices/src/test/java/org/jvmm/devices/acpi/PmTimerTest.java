package org.jvmm.devices.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;

class PmTimerTest {

    private long now = 5_000_000_000L;

    @Test
    void countsAt3579545HzFromZero() {
        PmTimer timer = new PmTimer(() -> now, true);
        assertEquals(0, timer.count());
        now += 1_000_000_000L;
        assertEquals(3_579_545, timer.count(), "one second");
        now += 1_000;
        assertEquals(3_579_545 + 3, timer.count(), "one microsecond more: 3.58 ticks, truncated");
    }

    @Test
    void wrapsAtItsWidthWithoutOverflowingAfterDays() {
        PmTimer wide = new PmTimer(() -> now, true);
        PmTimer narrow = new PmTimer(() -> now, false);
        long day = 86_400L * 1_000_000_000L;
        now += 30 * day + 123_456_789L;
        long ticks = 30 * 86_400L * PmTimer.FREQUENCY_HZ + 123_456_789L * PmTimer.FREQUENCY_HZ / 1_000_000_000L;
        assertEquals(ticks & 0xffff_ffffL, wide.count());
        assertEquals(ticks & 0xff_ffffL, narrow.count());
        assertTrue(wide.isWide() && !narrow.isWide());
    }

    @Test
    void aClockGoingBackwardsReadsZero() {
        PmTimer timer = new PmTimer(() -> now, true);
        now -= 1_000;
        assertEquals(0, timer.count());
    }

    @Test
    void theBusReadsTheCountAndIgnoresWrites() {
        PmTimer timer = new PmTimer(() -> now, true);
        Bus bus = new Bus("pio");
        bus.register("pm-timer", new AddressRange(0x608, PmTimer.LENGTH), timer);
        now += 2_000_000_000L;
        long count = 2 * PmTimer.FREQUENCY_HZ;
        assertEquals(count, bus.read(0x608, 4));
        assertEquals(count & 0xff, bus.read(0x608, 1));
        assertEquals((count >>> 8) & 0xffff, bus.read(0x609, 2), "byte-wise reads see the same counter");
        assertEquals(count >>> 24, bus.read(0x60b, 4), "bytes past the register read as 0");
        assertEquals(count, bus.read(0x608, 8), "an 8-byte read has zeros above the counter");
        bus.write(0x608, 4, 0);
        assertEquals(count, bus.read(0x608, 4), "read-only");
    }
}
