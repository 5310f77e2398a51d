package org.jvmm.devices.serial;

import java.util.Arrays;

/**
 * Everything a {@link Serial} remembers, as plain values: a snapshot, a restore point, or a test
 * fixture. Bytes already handed to the output stream are not part of it.
 *
 * @param divisor         the divisor latch, DLM:DLL (0 to 0xffff)
 * @param ier             the interrupt enable register (low four bits)
 * @param lcr             the line control register
 * @param mcr             the modem control register (low five bits)
 * @param msr             the modem status register, status in the high nibble and deltas in the low
 * @param scr             the scratch register
 * @param fcr             the FIFO control bits in effect: enable (bit 0), 64-byte mode (bit 5),
 *                        receive trigger level (bits 7:6); 0 when the FIFOs are off
 * @param overrun         LSR.OE: a received byte was lost since LSR was last read
 * @param thrEmptyPending the transmitter-empty interrupt is pending (cleared by reading it from IIR
 *                        or by writing THR)
 * @param rxFifo          the unread received bytes, oldest first; at most {@link Serial#FIFO_SIZE},
 *                        or one with the FIFOs off
 */
public record SerialState(int divisor, int ier, int lcr, int mcr, int msr, int scr, int fcr, boolean overrun,
        boolean thrEmptyPending, byte[] rxFifo) {

    /** The state after power-on: 9600 baud (divisor 12), 8N1, OUT2 set, FIFOs off, nothing pending. */
    public static final SerialState POWER_ON = new SerialState(12, 0, 0x03, Serial.MCR_OUT2,
            Serial.MSR_DCD | Serial.MSR_DSR | Serial.MSR_CTS, 0, 0, false, false, new byte[0]);

    /**
     * Validates the values and copies the FIFO.
     *
     * @throws IllegalArgumentException if a register is out of range or the FIFO holds more than the
     *                                  FIFO mode allows
     */
    public SerialState {
        check("divisor", divisor, 0xffff);
        check("ier", ier, 0x0f);
        check("lcr", lcr, 0xff);
        check("mcr", mcr, 0x1f);
        check("msr", msr, 0xff);
        check("scr", scr, 0xff);
        if ((fcr & ~(Serial.FCR_ENABLE | Serial.FCR_64_BYTE | Serial.FCR_TRIGGER)) != 0
                || (fcr != 0 && (fcr & Serial.FCR_ENABLE) == 0)) {
            throw new IllegalArgumentException("serial state: fcr 0x" + Integer.toHexString(fcr)
                    + " is not a FIFO mode (enable, 64-byte and trigger bits only, or 0)");
        }
        int capacity = (fcr & Serial.FCR_ENABLE) != 0 ? Serial.FIFO_SIZE : 1;
        if (rxFifo.length > capacity) {
            throw new IllegalArgumentException("serial state: " + rxFifo.length
                    + " received bytes do not fit a receive buffer of " + capacity);
        }
        rxFifo = rxFifo.clone();
    }

    private static void check(String name, int value, int max) {
        if ((value & ~max) != 0) {
            throw new IllegalArgumentException("serial state: " + name + " 0x" + Integer.toHexString(value)
                    + " has bits outside 0x" + Integer.toHexString(max));
        }
    }

    /** {@return a copy of the unread received bytes, oldest first} */
    @Override
    public byte[] rxFifo() {
        return rxFifo.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SerialState s && divisor == s.divisor && ier == s.ier && lcr == s.lcr && mcr == s.mcr
                && msr == s.msr && scr == s.scr && fcr == s.fcr && overrun == s.overrun
                && thrEmptyPending == s.thrEmptyPending && Arrays.equals(rxFifo, s.rxFifo);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * divisor + ier + (lcr << 4) + (mcr << 12) + (msr << 17) + (scr << 25) + fcr
                + (overrun ? 1 : 0) + (thrEmptyPending ? 2 : 0)) + Arrays.hashCode(rxFifo);
    }

    @Override
    public String toString() {
        return String.format("SerialState[divisor=%d, ier=0x%x, lcr=0x%x, mcr=0x%x, msr=0x%x, scr=0x%x, fcr=0x%x,"
                + " overrun=%b, thrEmptyPending=%b, rxFifo=%s]", divisor, ier, lcr, mcr, msr, scr, fcr, overrun,
                thrEmptyPending, Arrays.toString(rxFifo));
    }
}
