package org.jvmm.devices.rtc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;

class CmosRtcTest {

    private static final long SECOND = 1_000_000_000L;
    /** A Saturday, 19:07:42.5 UTC. */
    private static final long START = Instant.parse("2026-12-05T19:07:42Z").getEpochSecond() * SECOND + SECOND / 2;

    private long now = START;
    private final CmosRtc rtc = new CmosRtc(() -> now);
    private final Bus bus = new Bus("pio");

    CmosRtcTest() {
        bus.register("rtc", new AddressRange(0x70, CmosRtc.PORTS), rtc);
    }

    private int in(int register) {
        bus.write(0x70, 1, register);
        return (int) bus.read(0x71, 1);
    }

    private void out(int register, int value) {
        bus.write(0x70, 1, register);
        bus.write(0x71, 1, value);
    }

    @Test
    void readsTheClockInBcdAnd24HoursAfterReset() {
        assertEquals(CmosRtc.A_DEFAULT, in(CmosRtc.REG_A));
        assertEquals(CmosRtc.B_DEFAULT, in(CmosRtc.REG_B));
        assertEquals(0x42, in(CmosRtc.SECONDS));
        assertEquals(0x07, in(CmosRtc.MINUTES));
        assertEquals(0x19, in(CmosRtc.HOURS));
        assertEquals(7, in(CmosRtc.DAY_OF_WEEK), "Saturday is 7 (Sunday 1)");
        assertEquals(0x05, in(CmosRtc.DAY_OF_MONTH));
        assertEquals(0x12, in(CmosRtc.MONTH));
        assertEquals(0x26, in(CmosRtc.YEAR));
        assertEquals(0x20, in(CmosRtc.CENTURY));
        assertEquals(CmosRtc.D_VRT, in(CmosRtc.REG_D));
        now += 3 * SECOND;
        assertEquals(0x45, in(CmosRtc.SECONDS), "the clock runs");
    }

    @Test
    void everyTimeRegisterAgreesWithJavaTimeOverCenturiesInBinary() {
        out(CmosRtc.REG_B, CmosRtc.B_BINARY | CmosRtc.B_24_HOUR);
        Random random = new Random(8);
        for (int i = 0; i < 20_000; i++) {
            long second = i < 4 ? new long[] {0, -1, 951_782_400, 4_107_542_400L}[i] // 1970, 1969, 2000-02-29, 2100-03-01
                    : random.nextLong(-2_208_988_800L, 7_258_118_400L); // 1900 to 2200
            now = second * SECOND;
            java.time.LocalDateTime t = java.time.LocalDateTime.ofEpochSecond(second, 0, java.time.ZoneOffset.UTC);
            String at = t.toString();
            assertEquals(t.getSecond(), in(CmosRtc.SECONDS), at);
            assertEquals(t.getMinute(), in(CmosRtc.MINUTES), at);
            assertEquals(t.getHour(), in(CmosRtc.HOURS), at);
            assertEquals(t.getDayOfWeek().getValue() % 7 + 1, in(CmosRtc.DAY_OF_WEEK), at);
            assertEquals(t.getDayOfMonth(), in(CmosRtc.DAY_OF_MONTH), at);
            assertEquals(t.getMonthValue(), in(CmosRtc.MONTH), at);
            assertEquals(t.getYear() % 100, in(CmosRtc.YEAR), at);
            assertEquals(t.getYear() / 100, in(CmosRtc.CENTURY), at);
        }
    }

    /** Reading the clock is a guest's exit: after warm-up it must allocate nothing. */
    @Test
    void readingTheClockAllocatesNothing() throws ReflectiveOperationException {
        int[] registers = {CmosRtc.SECONDS, CmosRtc.MINUTES, CmosRtc.HOURS, CmosRtc.DAY_OF_WEEK, CmosRtc.DAY_OF_MONTH,
            CmosRtc.MONTH, CmosRtc.YEAR, CmosRtc.CENTURY, CmosRtc.REG_A, CmosRtc.REG_C};
        long sum = 0;
        long before = 0;
        for (int round = 0; round < 200_000; round++) {
            if (round == 100_000) {
                before = allocatedBytes();
            }
            now += SECOND / 3;
            sum += in(registers[round % registers.length]);
        }
        long allocated = allocatedBytes() - before;
        assertTrue(sum > 0);
        assertTrue(allocated < 16 * 1024, "100 000 clock reads allocated " + allocated + " bytes");
    }

    /** Bytes this thread allocated so far, through com.sun.management (reflection: the module does not read it). */
    private static long allocatedBytes() throws ReflectiveOperationException {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        return (long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes").invoke(bean);
    }

    @Test
    void readsBinaryAnd12HourFormatsAsRegisterBAsks() {
        out(CmosRtc.REG_B, CmosRtc.B_BINARY);
        assertEquals(42, in(CmosRtc.SECONDS));
        assertEquals(7 | 0x80, in(CmosRtc.HOURS), "19:00 is 7 PM");
        out(CmosRtc.REG_B, 0);
        assertEquals(0x07 | 0x80, in(CmosRtc.HOURS));
        out(CmosRtc.REG_B, CmosRtc.B_BINARY | CmosRtc.B_24_HOUR);
        assertEquals(19, in(CmosRtc.HOURS));
        assertEquals(26, in(CmosRtc.YEAR));
    }

    @Test
    void updateInProgressIsSetInTheLast244MicrosecondsOfASecond() {
        long secondStart = START - SECOND / 2;
        now = secondStart + SECOND - CmosRtc.UIP_NANOS - 1;
        assertEquals(0, in(CmosRtc.REG_A) & CmosRtc.A_UIP);
        now = secondStart + SECOND - CmosRtc.UIP_NANOS;
        assertEquals(CmosRtc.A_UIP, in(CmosRtc.REG_A) & CmosRtc.A_UIP);
        now = secondStart + SECOND;
        assertEquals(0, in(CmosRtc.REG_A) & CmosRtc.A_UIP);
        out(CmosRtc.REG_A, 0xff);
        assertEquals(0x7f, in(CmosRtc.REG_A), "UIP is read-only");
    }

    @Test
    void anAlarmThatMatchesAnyTimeFiresAtTheNextSecondAsKvmUnitTestsS3SetsIt() {
        in(CmosRtc.REG_C);
        out(CmosRtc.SECONDS_ALARM, CmosRtc.ALARM_DONT_CARE);
        out(CmosRtc.MINUTES_ALARM, CmosRtc.ALARM_DONT_CARE);
        out(CmosRtc.HOURS_ALARM, CmosRtc.ALARM_DONT_CARE);
        out(CmosRtc.REG_B, in(CmosRtc.REG_B) | CmosRtc.B_AIE);
        assertTrue(rtc.alarmInterruptEnabled());
        assertEquals(START + SECOND / 2, rtc.nextAlarmNanos(now));
        assertEquals(0, in(CmosRtc.REG_C) & CmosRtc.C_AF, "no second boundary yet");
        now += SECOND / 2;
        assertEquals(CmosRtc.C_IRQF | CmosRtc.C_AF | CmosRtc.C_UF | CmosRtc.C_PF, in(CmosRtc.REG_C),
                "PF too: register A's rate 6 sets it whether or not PIE is");
        assertEquals(0, in(CmosRtc.REG_C), "reading C clears it");
    }

    @Test
    void anAlarmFiresOnlyAtTheTimeItNames() {
        out(CmosRtc.REG_A, 0x20);
        out(CmosRtc.SECONDS_ALARM, 0x50);
        out(CmosRtc.MINUTES_ALARM, 0x07);
        out(CmosRtc.HOURS_ALARM, CmosRtc.ALARM_DONT_CARE);
        assertFalse(rtc.alarmInterruptEnabled());
        assertEquals(START - SECOND / 2 + 8 * SECOND, rtc.nextAlarmNanos(now), "at 19:07:50");
        in(CmosRtc.REG_C);
        now += 7 * SECOND;
        assertEquals(CmosRtc.C_UF, in(CmosRtc.REG_C), "19:07:49: not yet; no IRQF without UIE");
        now += SECOND;
        assertEquals(CmosRtc.C_UF | CmosRtc.C_AF, in(CmosRtc.REG_C), "19:07:50, AIE off: no IRQF");
        out(CmosRtc.SECONDS_ALARM, 0x61);
        assertEquals(-1, rtc.nextAlarmNanos(now), "no second is 61");
    }

    @Test
    void anAlarmPassedWhileNobodyLookedIsStillSeen() {
        out(CmosRtc.REG_A, 0x20);
        out(CmosRtc.SECONDS_ALARM, 0x00);
        out(CmosRtc.MINUTES_ALARM, 0x00);
        out(CmosRtc.HOURS_ALARM, 0x03);
        now += 20L * 3600 * SECOND;
        assertEquals(CmosRtc.C_UF | CmosRtc.C_AF, in(CmosRtc.REG_C), "03:00:00 passed");
        now += 5L * 86_400 * SECOND;
        assertEquals(CmosRtc.C_UF | CmosRtc.C_AF, in(CmosRtc.REG_C), "days later, a day's boundaries are looked at");
    }

    @Test
    void periodicAndUpdateFlagsSetIrqfWhenEnabled() {
        in(CmosRtc.REG_C);
        out(CmosRtc.REG_B, CmosRtc.B_24_HOUR | CmosRtc.B_PIE);
        now += SECOND / 1024 + 1;
        assertEquals(CmosRtc.C_IRQF | CmosRtc.C_PF, in(CmosRtc.REG_C), "rate 6: 1024 Hz");
        out(CmosRtc.REG_A, 0x20);
        out(CmosRtc.REG_B, CmosRtc.B_24_HOUR | CmosRtc.B_UIE);
        now += SECOND;
        assertEquals(CmosRtc.C_IRQF | CmosRtc.C_UF, in(CmosRtc.REG_C), "rate 0: no periodic flag");
        out(CmosRtc.REG_B, CmosRtc.B_SET | CmosRtc.B_UIE);
        assertEquals(CmosRtc.B_SET, in(CmosRtc.REG_B), "SET clears UIE");
    }

    @Test
    void cmosBytesKeepWhatIsWrittenAndTheClockRegistersDoNot() {
        out(0x80 | 0x0e, 0x5a);
        assertEquals(0x5a, in(0x0e), "bit 7 of the index is the NMI mask, not part of it");
        out(0x7f, 0xa5);
        assertEquals(0xa5, in(0x7f));
        out(CmosRtc.SECONDS, 0x00);
        out(CmosRtc.REG_C, 0xff);
        out(CmosRtc.REG_D, 0x00);
        assertEquals(0x42, in(CmosRtc.SECONDS));
        assertEquals(CmosRtc.D_VRT, in(CmosRtc.REG_D));
        assertEquals(0xff, bus.read(0x70, 1), "the index port reads all ones");
        bus.write(0x70, 2, 0x3c_0e);
        assertEquals(0x3c, in(0x0e), "a word write is the index, then the data");
    }

    @Test
    void anyOffsetSizeAndValueIsAccepted() {
        Random random = new Random(16);
        for (int i = 0; i < 20_000; i++) {
            long offset = random.nextInt(4) - 1 + (random.nextInt(50) == 0 ? random.nextLong() : 0);
            int size = 1 << random.nextInt(4);
            if (random.nextBoolean()) {
                rtc.write(offset, size, random.nextLong());
            } else {
                rtc.read(offset, size);
            }
            now += random.nextInt(1 << 28);
        }
        assertTrue(in(CmosRtc.REG_D) == CmosRtc.D_VRT);
    }
}
