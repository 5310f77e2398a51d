package org.jvmm.devices.rtc;

import java.util.Objects;
import java.util.function.LongSupplier;
import org.jvmm.core.bus.BusDevice;

/**
 * The PC's CMOS real-time clock (an MC146818 as a PC chipset has it) behind the index port (offset 0)
 * and the data port (offset 1), at 0x70 and 0x71 on a PC: 128 bytes of CMOS of which registers 0-9
 * and 0x32 (century) are the time and date, 1, 3 and 5 the alarm, and A-D the control and status
 * registers.
 *
 * <p>The time registers read a clock given at construction (the host's UTC time on a machine), in BCD
 * or binary and 24- or 12-hour format as register B asks; guest writes to them are dropped (the
 * guest cannot set the clock). Register A's update-in-progress bit is set during the last
 * {@value #UIP_NANOS} ns before each second, as the chip sets it before its update. Register C's
 * flags are computed when the guest looks: the update flag once a second boundary has passed since C
 * was last read, the alarm flag once a second boundary whose time matches the alarm registers has
 * passed (an alarm register with its two top bits set matches any value), the periodic flag once a
 * period of register A's rate has passed; IRQF when one of them is set together with its enable bit
 * in B. Reading C returns and clears them. No interrupt is raised (IRQ 8 is not wired); the machine
 * asks {@link #nextAlarmNanos} when the alarm wakes the machine from sleep.
 *
 * <p>The index is masked to 7 bits (bit 7 of a write to the index port is the NMI mask on a PC, which
 * this device ignores); any offset, size and value are accepted.
 */
public final class CmosRtc implements BusDevice {

    /** Ports: index, data. */
    public static final int PORTS = 2;
    /** Bytes of CMOS. */
    public static final int SIZE = 128;

    /** Register index: seconds. */
    public static final int SECONDS = 0x00;
    /** Register index: seconds alarm. */
    public static final int SECONDS_ALARM = 0x01;
    /** Register index: minutes. */
    public static final int MINUTES = 0x02;
    /** Register index: minutes alarm. */
    public static final int MINUTES_ALARM = 0x03;
    /** Register index: hours. */
    public static final int HOURS = 0x04;
    /** Register index: hours alarm. */
    public static final int HOURS_ALARM = 0x05;
    /** Register index: day of the week, 1 (Sunday) to 7. */
    public static final int DAY_OF_WEEK = 0x06;
    /** Register index: day of the month. */
    public static final int DAY_OF_MONTH = 0x07;
    /** Register index: month. */
    public static final int MONTH = 0x08;
    /** Register index: year in the century. */
    public static final int YEAR = 0x09;
    /** Register index: A (update in progress, divider, rate). */
    public static final int REG_A = 0x0a;
    /** Register index: B (set, interrupt enables, data mode, 24-hour mode). */
    public static final int REG_B = 0x0b;
    /** Register index: C (interrupt flags; read-only, cleared by a read). */
    public static final int REG_C = 0x0c;
    /** Register index: D (valid RAM and time; read-only). */
    public static final int REG_D = 0x0d;
    /** Register index: the century, where a PC BIOS keeps it. */
    public static final int CENTURY = 0x32;

    /** Register A: update in progress. */
    public static final int A_UIP = 0x80;
    /** Register B: updates stopped for setting the clock. */
    public static final int B_SET = 0x80;
    /** Register B: periodic interrupt enable. */
    public static final int B_PIE = 0x40;
    /** Register B: alarm interrupt enable. */
    public static final int B_AIE = 0x20;
    /** Register B: update-ended interrupt enable. */
    public static final int B_UIE = 0x10;
    /** Register B: binary (not BCD) data mode. */
    public static final int B_BINARY = 0x04;
    /** Register B: 24-hour mode. */
    public static final int B_24_HOUR = 0x02;
    /** Register C: an enabled flag is set. */
    public static final int C_IRQF = 0x80;
    /** Register C: periodic flag. */
    public static final int C_PF = 0x40;
    /** Register C: alarm flag. */
    public static final int C_AF = 0x20;
    /** Register C: update-ended flag. */
    public static final int C_UF = 0x10;
    /** Register D: valid RAM and time. */
    public static final int D_VRT = 0x80;
    /** An alarm register value with these bits set matches any time. */
    public static final int ALARM_DONT_CARE = 0xc0;
    /** Register A after reset: the 32.768 kHz divider, rate 6 (1024 Hz). */
    public static final int A_DEFAULT = 0x26;
    /** Register B after reset: BCD, 24-hour mode. */
    public static final int B_DEFAULT = B_24_HOUR;
    /** How long before each second the update-in-progress bit is set. */
    public static final long UIP_NANOS = 244_000;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long SECONDS_PER_DAY = 86_400;
    private static final int INDEX_MASK = SIZE - 1;

    private final LongSupplier epochNanos;
    private final byte[] cmos = new byte[SIZE];
    private int index;
    private int flags;
    /** The last second boundary whose update and alarm have been looked at. */
    private long checkedSecond;
    /** When C was last read, for the periodic flag. */
    private long periodicFrom;

    /**
     * Creates the clock with A and B at their reset values and no flags.
     *
     * @param epochNanos the time, in nanoseconds since 1970-01-01T00:00Z; {@link #hostClock()} on a machine
     */
    public CmosRtc(LongSupplier epochNanos) {
        this.epochNanos = Objects.requireNonNull(epochNanos, "epochNanos");
        cmos[REG_A] = A_DEFAULT;
        cmos[REG_B] = B_DEFAULT;
        long now = epochNanos.getAsLong();
        checkedSecond = Math.floorDiv(now, NANOS_PER_SECOND);
        periodicFrom = now;
    }

    /**
     * {@return the host's UTC time in nanoseconds since the epoch, advancing with the monotonic clock}
     * The wall clock is read once, so a host clock step does not make the guest's jump.
     */
    public static LongSupplier hostClock() {
        java.time.Instant start = java.time.Instant.now();
        long startEpoch = start.getEpochSecond() * NANOS_PER_SECOND + start.getNano();
        long startMono = System.nanoTime();
        return () -> startEpoch + (System.nanoTime() - startMono);
    }

    /** {@return the clock's time now, in nanoseconds since the epoch} */
    public long now() {
        return epochNanos.getAsLong();
    }

    @Override
    public synchronized long read(long offset, int size) {
        int bytes = Math.clamp(size, 1, 8);
        long value = 0;
        for (int b = 0; b < bytes; b++) {
            long port = offset + b;
            int v = port == 1 ? readData() : 0xff;
            value |= (long) v << (8 * b);
        }
        return value;
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int bytes = Math.clamp(size, 1, 8);
        for (int b = 0; b < bytes; b++) {
            int v = (int) (value >>> (8 * b)) & 0xff;
            long port = offset + b;
            if (port == 0) {
                index = v & INDEX_MASK;
            } else if (port == 1) {
                writeData(v);
            }
        }
    }

    /** {@return whether register B enables the alarm interrupt} */
    public synchronized boolean alarmInterruptEnabled() {
        return (cmos[REG_B] & B_AIE) != 0;
    }

    /**
     * The next alarm after {@code afterNanos}, in the registers' current format.
     *
     * @param afterNanos a time, in nanoseconds since the epoch
     * @return the first second boundary after it (within a day) whose time matches the alarm
     *         registers, in nanoseconds since the epoch; -1 when no time of day matches them
     */
    public synchronized long nextAlarmNanos(long afterNanos) {
        long second = Math.floorDiv(afterNanos, NANOS_PER_SECOND);
        for (long s = second + 1; s <= second + SECONDS_PER_DAY; s++) {
            if (alarmMatches(s)) {
                return s * NANOS_PER_SECOND;
            }
        }
        return -1;
    }

    private int readData() {
        long now = epochNanos.getAsLong();
        updateFlags(now);
        return switch (index) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> timeRegister(index, now);
            case REG_A -> (cmos[REG_A] & 0x7f) | (updateInProgress(now) ? A_UIP : 0);
            case REG_C -> {
                int c = flags | (irqf() ? C_IRQF : 0);
                flags = 0;
                periodicFrom = now;
                yield c;
            }
            case REG_D -> D_VRT;
            default -> cmos[index] & 0xff;
        };
    }

    private void writeData(int value) {
        updateFlags(epochNanos.getAsLong());
        switch (index) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY, REG_C, REG_D -> { }
            case REG_A -> cmos[REG_A] = (byte) (value & 0x7f);
            // Setting SET clears UIE, as the chip does.
            case REG_B -> cmos[REG_B] = (byte) ((value & B_SET) != 0 ? value & ~B_UIE : value);
            default -> cmos[index] = (byte) value;
        }
    }

    private boolean irqf() {
        int b = cmos[REG_B];
        return ((flags & C_PF) != 0 && (b & B_PIE) != 0)
                || ((flags & C_AF) != 0 && (b & B_AIE) != 0)
                || ((flags & C_UF) != 0 && (b & B_UIE) != 0);
    }

    private static boolean updateInProgress(long now) {
        return Math.floorMod(now, NANOS_PER_SECOND) >= NANOS_PER_SECOND - UIP_NANOS;
    }

    /** Sets UF and AF for the second boundaries passed since the last look, PF for a passed period. */
    private void updateFlags(long now) {
        long second = Math.floorDiv(now, NANOS_PER_SECOND);
        if (second > checkedSecond) {
            flags |= C_UF;
            // The alarm registers repeat daily: a day of boundaries is all there is to look at.
            for (long s = Math.max(checkedSecond + 1, second - SECONDS_PER_DAY + 1); s <= second && (flags & C_AF) == 0; s++) {
                if (alarmMatches(s)) {
                    flags |= C_AF;
                }
            }
            checkedSecond = second;
        }
        long period = periodNanos();
        if (period > 0 && Math.floorDiv(now, period) > Math.floorDiv(periodicFrom, period)) {
            flags |= C_PF;
        }
    }

    /** Register A's rate select as a period: 0 for none, else 2^(rate - 1) / 32768 s (rates 1 and 2 as 8 and 9). */
    private long periodNanos() {
        int rate = cmos[REG_A] & 0x0f;
        if (rate == 0) {
            return 0;
        }
        int shift = rate <= 2 ? rate + 6 : rate - 1;
        return (NANOS_PER_SECOND << shift) / 32_768;
    }

    private boolean alarmMatches(long epochSecond) {
        return alarmField(SECONDS_ALARM, SECONDS, epochSecond)
                && alarmField(MINUTES_ALARM, MINUTES, epochSecond)
                && alarmField(HOURS_ALARM, HOURS, epochSecond);
    }

    private boolean alarmField(int alarm, int register, long epochSecond) {
        int value = cmos[alarm] & 0xff;
        return (value & ALARM_DONT_CARE) == ALARM_DONT_CARE
                || value == timeRegister(register, epochSecond * NANOS_PER_SECOND);
    }

    /**
     * A time register for the UTC time {@code nanos}, worked out with integer arithmetic: the guest
     * reads these on its vCPU's exit path, which allocates nothing (java.time's objects would).
     */
    private int timeRegister(int register, long nanos) {
        long seconds = Math.floorDiv(nanos, NANOS_PER_SECOND);
        long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
        int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
        return switch (register) {
            case SECONDS -> encode(secondOfDay % 60);
            case MINUTES -> encode(secondOfDay / 60 % 60);
            case HOURS -> hours(secondOfDay / 3600);
            // 1970-01-01 was a Thursday, day 5 when Sunday is 1.
            case DAY_OF_WEEK -> encode((int) Math.floorMod(days + 4, 7) + 1);
            case DAY_OF_MONTH -> encode(CivilDate.day(CivilDate.of(days)));
            case MONTH -> encode(CivilDate.month(CivilDate.of(days)));
            case YEAR -> encode((int) Math.floorMod(CivilDate.year(CivilDate.of(days)), 100));
            default -> encode((int) Math.floorMod(Math.floorDiv(CivilDate.year(CivilDate.of(days)), 100), 100));
        };
    }

    private int hours(int hour) {
        if ((cmos[REG_B] & B_24_HOUR) != 0) {
            return encode(hour);
        }
        int twelve = hour % 12 == 0 ? 12 : hour % 12;
        return encode(twelve) | (hour >= 12 ? 0x80 : 0);
    }

    private int encode(int value) {
        return (cmos[REG_B] & B_BINARY) != 0 ? value : (value / 10) << 4 | value % 10;
    }

    @Override
    public String toString() {
        return "cmos-rtc";
    }
}
