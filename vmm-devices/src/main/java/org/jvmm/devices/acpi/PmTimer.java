package org.jvmm.devices.acpi;

import java.util.Objects;
import java.util.function.LongSupplier;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;

/**
 * The ACPI power-management timer (ACPI 6.5, 4.8.3.3): a free-running counter at 3.579545 MHz, 24 or
 * 32 bits wide, read through the 4-byte port block the FADT names in {@code PM_TMR_BLK} (with
 * {@code PM_TMR_LEN} = 4, and {@code TMR_VAL_EXT} set for the 32-bit one). The count is computed on
 * each read from a host clock, so reading it costs one exit and no state changes; it starts at 0 when
 * the device is created and wraps at its width.
 *
 * <p>The register is read-only: writes are dropped. A read at offset {@code o} of {@code n} bytes
 * returns bytes {@code o} to {@code o + n - 1} of the count (zeros past the fourth byte), so the
 * byte-wise reads some guests do see the same counter. No overflow status (TMR_STS) or SCI.
 */
public final class PmTimer implements BusDevice {

    /** The counting frequency in Hz. */
    public static final long FREQUENCY_HZ = 3_579_545;
    /** {@code PM_TMR_LEN}: bytes of the port block (the machine places it, at 0x608 as QEMU's PIIX4 and ICH9 do). */
    public static final int LENGTH = 4;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final LongSupplier nanoClock;
    private final long start;
    private final long mask;

    /**
     * Creates the timer.
     *
     * @param nanoClock a monotonic clock in nanoseconds, {@code System::nanoTime} for a real machine
     * @param wide      true for a 32-bit counter (FADT flag {@code TMR_VAL_EXT}), false for 24 bits
     */
    public PmTimer(LongSupplier nanoClock, boolean wide) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.start = nanoClock.getAsLong();
        this.mask = wide ? 0xffff_ffffL : 0xff_ffffL;
    }

    /** {@return whether the counter is 32 bits wide} */
    public boolean isWide() {
        return mask == 0xffff_ffffL;
    }

    /**
     * The count now: elapsed nanoseconds times 3579545 / 10^9, split so that no product overflows
     * however long the machine runs, truncated to the counter's width.
     *
     * @return the counter value
     */
    public long count() {
        long elapsed = Math.max(0, nanoClock.getAsLong() - start);
        long ticks = (elapsed / NANOS_PER_SECOND) * FREQUENCY_HZ + (elapsed % NANOS_PER_SECOND) * FREQUENCY_HZ / NANOS_PER_SECOND;
        return ticks & mask;
    }

    @Override
    public long read(long offset, int size) {
        int width = Math.clamp(size, 1, 8);
        if (offset < 0 || offset >= LENGTH) {
            return Bus.allOnes(width);
        }
        return (count() >>> (8 * offset)) & Bus.allOnes(width);
    }

    @Override
    public void write(long offset, int size, long value) {
        // Read-only register.
    }

    @Override
    public String toString() {
        return "acpi-pm-timer" + (isWide() ? " (32-bit)" : " (24-bit)");
    }
}
