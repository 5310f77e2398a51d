package org.jvmm.devices.acpi;

import java.util.Objects;
import java.util.function.IntConsumer;
import org.jvmm.core.bus.BusDevice;

/**
 * The ACPI PM1 fixed registers (ACPI 6.5, 4.8.3.1 and 4.8.3.2) of one register group ("a"): the event
 * block ({@link #eventBlock()}, {@value #EVENT_LENGTH} bytes: PM1_STS at offset 0, PM1_EN at 2) and
 * the control block ({@link #controlBlock()}, {@value #CONTROL_LENGTH} bytes: PM1_CNT), at the ports
 * the FADT names in PM1a_EVT_BLK and PM1a_CNT_BLK.
 *
 * <p>PM1_STS bits are cleared by writing 1 to them; {@link #wake} sets them. PM1_EN keeps the enable
 * bits the machine has sources for ({@link #ENABLE_BITS}). PM1_CNT keeps SLP_TYP and BM_RLD; SCI_EN
 * reads 1 (the FADT has no SMI_CMD: ACPI is always on); GBL_RLS and SLP_EN read 0. A write with
 * SLP_EN set hands SLP_TYP to the sleep listener, on the writing thread, after the register is
 * written. Each block is byte-addressed, so a guest may access it in bytes, words or a double word;
 * bytes past a block read all ones and are dropped when written. No SCI is raised.
 */
public final class Pm1Registers {

    /** {@code PM1_EVT_LEN}: bytes of the event block. */
    public static final int EVENT_LENGTH = 4;
    /** {@code PM1_CNT_LEN}: bytes of the control block. */
    public static final int CONTROL_LENGTH = 2;

    /** PM1_STS/PM1_EN: PM timer overflow. */
    public static final int TMR = 1;
    /** PM1_STS/PM1_EN: power button. */
    public static final int PWRBTN = 1 << 8;
    /** PM1_STS/PM1_EN: RTC alarm. */
    public static final int RTC = 1 << 10;
    /** PM1_STS: the machine woke from a sleep state. */
    public static final int WAK_STS = 1 << 15;
    /** PM1_EN bits that stick. */
    public static final int ENABLE_BITS = TMR | PWRBTN | RTC;

    /** PM1_CNT: SCI enable (reads 1). */
    public static final int SCI_EN = 1;
    /** PM1_CNT: bus master reload. */
    public static final int BM_RLD = 1 << 1;
    /** PM1_CNT: SLP_TYP's lowest bit. */
    public static final int SLP_TYP_SHIFT = 10;
    /** PM1_CNT: SLP_TYP's bits, before the shift. */
    public static final int SLP_TYP_MASK = 7;
    /** PM1_CNT: sleep enable (write-only). */
    public static final int SLP_EN = 1 << 13;

    private final IntConsumer sleep;
    private final BusDevice eventBlock = new Block(true);
    private final BusDevice controlBlock = new Block(false);
    private int status;
    private int enable;
    private int control = SCI_EN;

    /**
     * Creates the registers: no status, nothing enabled, SCI_EN set.
     *
     * @param sleep gets SLP_TYP (0-7) when the guest writes SLP_EN
     */
    public Pm1Registers(IntConsumer sleep) {
        this.sleep = Objects.requireNonNull(sleep, "sleep");
    }

    /** {@return the event block (PM1_STS, PM1_EN) as a bus device} */
    public BusDevice eventBlock() {
        return eventBlock;
    }

    /** {@return the control block (PM1_CNT) as a bus device} */
    public BusDevice controlBlock() {
        return controlBlock;
    }

    /** One of the two blocks on a bus. */
    private final class Block implements BusDevice {
        private final boolean event;

        Block(boolean event) {
            this.event = event;
        }

        @Override
        public long read(long offset, int size) {
            return event ? readBytes(offset, size, EVENT_LENGTH, readEvent())
                    : readBytes(offset, size, CONTROL_LENGTH, readControl());
        }

        @Override
        public void write(long offset, int size, long value) {
            if (event) {
                writeEvent(offset, size, value);
            } else {
                writeControl(offset, size, value);
            }
        }

        @Override
        public String toString() {
            return event ? "acpi-pm1-event" : "acpi-pm1-control";
        }
    }

    /**
     * Sets status bits, as the hardware does when it wakes the machine.
     *
     * @param bits PM1_STS bits to set besides {@link #WAK_STS}
     */
    public synchronized void wake(int bits) {
        status |= (bits | WAK_STS) & 0xffff;
    }

    /** {@return PM1_STS} */
    public synchronized int status() {
        return status;
    }

    /** {@return PM1_EN} */
    public synchronized int enable() {
        return enable;
    }

    private synchronized long readEvent() {
        return status | (long) enable << 16;
    }

    private synchronized long readControl() {
        return control | SCI_EN;
    }

    private synchronized void writeEvent(long offset, int size, long value) {
        long mask = byteMask(offset, size, EVENT_LENGTH);
        long shifted = shift(offset, value) & mask;
        status &= (int) ~(shifted & 0xffff);
        if ((mask & 0xffff_0000L) != 0) {
            long en = (enable & ~(mask >>> 16)) | (shifted >>> 16);
            enable = (int) en & ENABLE_BITS;
        }
    }

    private void writeControl(long offset, int size, long value) {
        long mask = byteMask(offset, size, CONTROL_LENGTH);
        int written = (int) (shift(offset, value) & mask);
        int slpTyp;
        synchronized (this) {
            control = (int) ((control & ~mask) | written) & (BM_RLD | SLP_TYP_MASK << SLP_TYP_SHIFT);
            slpTyp = (control >> SLP_TYP_SHIFT) & SLP_TYP_MASK;
        }
        if ((written & SLP_EN) != 0) {
            sleep.accept(slpTyp);
        }
    }

    /** Bytes {@code offset} to {@code offset + size - 1} of a register block, all ones past its end. */
    private static long readBytes(long offset, int size, int length, long registers) {
        int bytes = Math.clamp(size, 1, 8);
        long value = 0;
        for (int b = 0; b < bytes; b++) {
            long at = offset + b;
            long v = at >= 0 && at < length ? (registers >>> (8 * at)) & 0xff : 0xff;
            value |= v << (8 * b);
        }
        return value;
    }

    /** The block's bytes an access covers, as a mask over the block's value. */
    private static long byteMask(long offset, int size, int length) {
        int bytes = Math.clamp(size, 1, 8);
        long mask = 0;
        for (int b = 0; b < bytes; b++) {
            long at = offset + b;
            if (at >= 0 && at < length) {
                mask |= 0xffL << (8 * at);
            }
        }
        return mask;
    }

    private static long shift(long offset, long value) {
        return offset >= 0 && offset < 8 ? value << (8 * offset) : 0;
    }
}
