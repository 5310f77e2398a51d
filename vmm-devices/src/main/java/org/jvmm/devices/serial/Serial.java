package org.jvmm.devices.serial;

import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.util.Objects;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.irq.InterruptLine;

/**
 * An 8250/16550A UART with 16750-style 64-byte FIFOs, as a state machine over {@code (offset, value)}.
 *
 * <h2>Registers</h2>
 * Offsets 0-7 of its {@link #PORTS} ports: RBR/THR (DLL with LCR.DLAB), IER (DLM with LCR.DLAB),
 * IIR/FCR, LCR, MCR, LSR, MSR, SCR. A wider access is split into byte accesses at consecutive
 * offsets, as the ISA bus does; bytes past offset 7 read as 0xff and drop writes.
 *
 * <h2>Transmit</h2>
 * The host drains the transmitter at once: a THR write leaves THRE and TEMT set, and LSR never
 * holds the guest back, whether it polls LSR or waits for the THRE interrupt. Bytes go to the
 * output stream through a 4 KiB buffer, written out when full, on {@link #flush()} and on
 * {@link #close()}; an {@link OutputFlusher} calls {@link #flush()} periodically so output shows up
 * when the guest stops writing. A failing stream drops bytes (counted, logged once), never the guest.
 *
 * <h2>Receive</h2>
 * The host delivers bytes with {@link #enqueue}; a {@link SerialInputPump} does so from an
 * {@link java.io.InputStream} without overrunning. The receive FIFO holds {@link #FIFO_SIZE} bytes with
 * FCR.0 set, one without. The 16550 raises the character-timeout interrupt when bytes sit below
 * the trigger level and no more arrive for four character times; here a delivery is atomic, so
 * once it ends no more bytes are on their way, and bytes below the trigger level are reported as
 * a timeout (IIR 0xc) at once. At or above it, IIR reports received data available (0x4).
 *
 * <h2>Interrupts</h2>
 * Priority, highest first: line status (an overrun; cleared by reading LSR), received data (cleared
 * by draining RBR below the trigger level), THR empty (cleared by reading IIR while it is the one
 * shown, or by writing THR; set again when the THR empties, which is at once, and when IER.1 is
 * enabled), modem status (cleared by reading MSR). The line is level-driven: raised when an enabled
 * condition becomes pending, lowered when none is. A THR write clears the THRE condition before the
 * byte drains and sets it after, so an edge-triggered sink (the 8259 and the IOAPIC see ISA IRQs as
 * edges) gets a fresh edge for every write that finds the line high, as QEMU's UART gives. OUT2 does
 * not gate the line.
 *
 * <h2>Loopback</h2>
 * With MCR.4 set, THR bytes return to the receive FIFO instead of the output, MSR reflects MCR
 * (RTS to CTS, DTR to DSR, OUT1 to RI, OUT2 to DCD) and the host's input is held back. Out of
 * loopback the modem lines read as a connected host: CTS, DSR and DCD set.
 *
 * <p>All methods are thread-safe: vCPU threads and the input thread take the device's lock; the
 * bus methods allocate nothing and accept any offset, size and value.
 */
public final class Serial implements BusDevice, Flushable, AutoCloseable {

    /** Ports a UART takes (COM1 is at 0x3f8-0x3ff on a PC). */
    public static final int PORTS = 8;
    /** The depth of the receive FIFO when FIFOs are on. */
    public static final int FIFO_SIZE = 64;

    /** Offset of RBR (read), THR (write), or DLL with LCR.DLAB set. */
    public static final int DATA = 0;
    /** Offset of IER, or DLM with LCR.DLAB set. */
    public static final int IER = 1;
    /** Offset of IIR (read) and FCR (write). */
    public static final int IIR_FCR = 2;
    /** Offset of LCR. */
    public static final int LCR = 3;
    /** Offset of MCR. */
    public static final int MCR = 4;
    /** Offset of LSR. */
    public static final int LSR = 5;
    /** Offset of MSR. */
    public static final int MSR = 6;
    /** Offset of SCR. */
    public static final int SCR = 7;

    /** IER: received data available (and character timeout). */
    public static final int IER_RDA = 0x01;
    /** IER: THR empty. */
    public static final int IER_THRE = 0x02;
    /** IER: receiver line status. */
    public static final int IER_RLS = 0x04;
    /** IER: modem status. */
    public static final int IER_MS = 0x08;

    /** IIR: no interrupt pending. */
    public static final int IIR_NONE = 0x01;
    /** IIR: modem status changed. */
    public static final int IIR_MODEM_STATUS = 0x00;
    /** IIR: THR empty. */
    public static final int IIR_THR_EMPTY = 0x02;
    /** IIR: received data available. */
    public static final int IIR_RX_DATA = 0x04;
    /** IIR: receiver line status (overrun). */
    public static final int IIR_LINE_STATUS = 0x06;
    /** IIR: character timeout, received bytes below the trigger level. */
    public static final int IIR_RX_TIMEOUT = 0x0c;
    /** IIR: FIFOs enabled (bits 7:6). */
    public static final int IIR_FIFO_ENABLED = 0xc0;
    /** IIR: 64-byte FIFOs enabled (16750). */
    public static final int IIR_FIFO_64 = 0x20;

    /** FCR: enable the FIFOs; switching it empties both. */
    public static final int FCR_ENABLE = 0x01;
    /** FCR: clear the receive FIFO. */
    public static final int FCR_CLEAR_RX = 0x02;
    /** FCR: clear the transmit FIFO. */
    public static final int FCR_CLEAR_TX = 0x04;
    /** FCR: 64-byte FIFO mode (16750); only written while LCR.DLAB is set. */
    public static final int FCR_64_BYTE = 0x20;
    /** FCR: receive trigger level (bits 7:6): 1, 4, 8, 14 bytes, or 1, 16, 32, 56 in 64-byte mode. */
    public static final int FCR_TRIGGER = 0xc0;

    /** LCR: divisor latch access. */
    public static final int LCR_DLAB = 0x80;

    /** MCR: data terminal ready. */
    public static final int MCR_DTR = 0x01;
    /** MCR: request to send. */
    public static final int MCR_RTS = 0x02;
    /** MCR: OUT1. */
    public static final int MCR_OUT1 = 0x04;
    /** MCR: OUT2 (gates IRQ on a PC; not here). */
    public static final int MCR_OUT2 = 0x08;
    /** MCR: loopback. */
    public static final int MCR_LOOP = 0x10;

    /** LSR: data ready. */
    public static final int LSR_DR = 0x01;
    /** LSR: overrun error. */
    public static final int LSR_OE = 0x02;
    /** LSR: THR empty. */
    public static final int LSR_THRE = 0x20;
    /** LSR: transmitter empty. */
    public static final int LSR_TEMT = 0x40;

    /** MSR: delta CTS. */
    public static final int MSR_DCTS = 0x01;
    /** MSR: delta DSR. */
    public static final int MSR_DDSR = 0x02;
    /** MSR: trailing edge of RI. */
    public static final int MSR_TERI = 0x04;
    /** MSR: delta DCD. */
    public static final int MSR_DDCD = 0x08;
    /** MSR: clear to send. */
    public static final int MSR_CTS = 0x10;
    /** MSR: data set ready. */
    public static final int MSR_DSR = 0x20;
    /** MSR: ring indicator. */
    public static final int MSR_RI = 0x40;
    /** MSR: data carrier detect. */
    public static final int MSR_DCD = 0x80;

    private static final int MSR_HOST = MSR_DCD | MSR_DSR | MSR_CTS;
    private static final int REGISTERS = 8;
    private static final int FIFO_MASK = FIFO_SIZE - 1;
    private static final int TX_BUFFER_SIZE = 4096;
    private static final int[] TRIGGER_16 = {1, 4, 8, 14};
    private static final int[] TRIGGER_64 = {1, 16, 32, 56};

    private final InterruptLine irq;
    private final OutputStream out;
    private final SerialEvents events;

    private int divisor;
    private int ier;
    private int lcr;
    private int mcr;
    private int msr;
    private int scr;
    private int fcr;
    private boolean overrun;
    private boolean thrEmptyPending;

    private final byte[] rx = new byte[FIFO_SIZE];
    private int rxHead;
    private int rxCount;

    private boolean lineHigh;
    private int inputWaiters;

    private final byte[] tx = new byte[TX_BUFFER_SIZE];
    private int txCount;
    private boolean outputFailed;

    /**
     * Creates a UART in its power-on state with no metrics.
     *
     * @param irq the interrupt line (COM1: IRQ 4), or {@link InterruptLine#NONE} for a polling guest
     * @param out where transmitted bytes go; the device never closes it
     */
    public Serial(InterruptLine irq, OutputStream out) {
        this(SerialState.POWER_ON, irq, out, SerialEvents.NONE);
    }

    /**
     * Creates a UART in its power-on state.
     *
     * @param irq    the interrupt line (COM1: IRQ 4), or {@link InterruptLine#NONE} for a polling guest
     * @param out    where transmitted bytes go; the device never closes it
     * @param events where metrics go
     */
    public Serial(InterruptLine irq, OutputStream out, SerialEvents events) {
        this(SerialState.POWER_ON, irq, out, events);
    }

    /**
     * Creates a UART in a saved state. If an enabled interrupt is pending in it, the line is raised
     * before the constructor returns.
     *
     * @param state  the state, e.g. from {@link #state()}
     * @param irq    the interrupt line
     * @param out    where transmitted bytes go; the device never closes it
     * @param events where metrics go
     */
    public Serial(SerialState state, InterruptLine irq, OutputStream out, SerialEvents events) {
        this.irq = Objects.requireNonNull(irq, "irq");
        this.out = Objects.requireNonNull(out, "out");
        this.events = Objects.requireNonNull(events, "events");
        divisor = state.divisor();
        ier = state.ier();
        lcr = state.lcr();
        mcr = state.mcr();
        msr = state.msr();
        scr = state.scr();
        fcr = state.fcr();
        overrun = state.overrun();
        thrEmptyPending = state.thrEmptyPending();
        byte[] fifo = state.rxFifo();
        System.arraycopy(fifo, 0, rx, 0, fifo.length);
        rxCount = fifo.length;
        synchronized (this) {
            updateInterrupt();
        }
    }

    /** {@return a snapshot of the registers and the unread received bytes} */
    public synchronized SerialState state() {
        byte[] fifo = new byte[rxCount];
        for (int i = 0; i < rxCount; i++) {
            fifo[i] = rx[(rxHead + i) & FIFO_MASK];
        }
        return new SerialState(divisor, ier, lcr, mcr, msr, scr, fcr, overrun, thrEmptyPending, fifo);
    }

    // ---- the bus side ----

    @Override
    public synchronized long read(long offset, int size) {
        if (size == 1) {
            return readRegister(offset);
        }
        int n = Math.clamp(size, 1, 8);
        long value = 0;
        for (int i = 0; i < n; i++) {
            value |= (long) readRegister(offset + i) << (8 * i);
        }
        return value;
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        if (size == 1) {
            writeRegister(offset, (int) value & 0xff);
            return;
        }
        int n = Math.clamp(size, 1, 8);
        for (int i = 0; i < n; i++) {
            writeRegister(offset + i, (int) (value >>> (8 * i)) & 0xff);
        }
    }

    private int readRegister(long offset) {
        if (offset < 0 || offset >= REGISTERS) {
            return 0xff;
        }
        boolean dlab = (lcr & LCR_DLAB) != 0;
        return switch ((int) offset) {
            case DATA -> dlab ? divisor & 0xff : readRbr();
            case IER -> dlab ? divisor >>> 8 : ier;
            case IIR_FCR -> readIir();
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> readLsr();
            case MSR -> readMsr();
            default -> scr;
        };
    }

    private void writeRegister(long offset, int value) {
        if (offset < 0 || offset >= REGISTERS) {
            return;
        }
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch ((int) offset) {
            case DATA -> {
                if (dlab) {
                    divisor = (divisor & 0xff00) | value;
                } else {
                    writeThr(value);
                }
            }
            case IER -> {
                if (dlab) {
                    divisor = (divisor & 0xff) | (value << 8);
                } else {
                    writeIer(value);
                }
            }
            case IIR_FCR -> writeFcr(value);
            case LCR -> lcr = value;
            case MCR -> writeMcr(value);
            case SCR -> scr = value;
            default -> {
                // LSR and MSR are read-only (their writes are a factory test mode on real parts).
                if (Log.LOG.isLoggable(Level.DEBUG)) {
                    Log.LOG.log(Level.DEBUG, "serial: ignoring write of 0x" + Integer.toHexString(value)
                            + " to read-only register at offset " + offset);
                }
            }
        }
    }

    private int readRbr() {
        if (rxCount == 0) {
            return 0;
        }
        int b = rx[rxHead] & 0xff;
        rxHead = (rxHead + 1) & FIFO_MASK;
        rxCount--;
        if (inputWaiters > 0) {
            notifyAll();
        }
        updateInterrupt();
        return b;
    }

    private int readIir() {
        int id = pendingInterrupt();
        if (id == IIR_THR_EMPTY) {
            thrEmptyPending = false;
            updateInterrupt();
        }
        if ((fcr & FCR_ENABLE) == 0) {
            return id;
        }
        return id | IIR_FIFO_ENABLED | (fcr & FCR_64_BYTE);
    }

    private int readLsr() {
        int lsr = LSR_THRE | LSR_TEMT | (rxCount > 0 ? LSR_DR : 0) | (overrun ? LSR_OE : 0);
        if (overrun) {
            overrun = false;
            updateInterrupt();
        }
        return lsr;
    }

    private int readMsr() {
        int value = msr;
        if ((msr & 0x0f) != 0) {
            msr &= 0xf0;
            updateInterrupt();
        }
        return value;
    }

    private void writeThr(int value) {
        thrEmptyPending = false;
        updateInterrupt();
        if ((mcr & MCR_LOOP) != 0) {
            receiveByte(value);
        } else {
            transmit(value);
        }
        thrEmptyPending = true;
        updateInterrupt();
    }

    private void writeIer(int value) {
        int old = ier;
        ier = value & 0x0f;
        if ((ier & IER_THRE) == 0) {
            thrEmptyPending = false;
        } else if ((old & IER_THRE) == 0) {
            // The THR is always empty; a 16550 reports that as soon as the interrupt is enabled.
            thrEmptyPending = true;
        }
        updateInterrupt();
    }

    private void writeFcr(int value) {
        boolean enable = (value & FCR_ENABLE) != 0;
        if (enable != ((fcr & FCR_ENABLE) != 0)) {
            clearRx();
        }
        if (!enable) {
            fcr = 0;
        } else {
            int mode64 = (lcr & LCR_DLAB) != 0 ? value & FCR_64_BYTE : fcr & FCR_64_BYTE;
            fcr = FCR_ENABLE | mode64 | (value & FCR_TRIGGER);
            if ((value & FCR_CLEAR_RX) != 0) {
                clearRx();
            }
        }
        updateInterrupt();
    }

    private void writeMcr(int value) {
        boolean wasLoop = (mcr & MCR_LOOP) != 0;
        mcr = value & 0x1f;
        int status = (mcr & MCR_LOOP) == 0 ? MSR_HOST
                : ((mcr & MCR_RTS) != 0 ? MSR_CTS : 0)
                        | ((mcr & MCR_DTR) != 0 ? MSR_DSR : 0)
                        | ((mcr & MCR_OUT1) != 0 ? MSR_RI : 0)
                        | ((mcr & MCR_OUT2) != 0 ? MSR_DCD : 0);
        int old = msr & 0xf0;
        int changed = old ^ status;
        int delta = ((changed & MSR_CTS) != 0 ? MSR_DCTS : 0)
                | ((changed & MSR_DSR) != 0 ? MSR_DDSR : 0)
                | ((old & MSR_RI) != 0 && (status & MSR_RI) == 0 ? MSR_TERI : 0)
                | ((changed & MSR_DCD) != 0 ? MSR_DDCD : 0);
        msr = status | (msr & 0x0f) | delta;
        if (wasLoop && (mcr & MCR_LOOP) == 0 && inputWaiters > 0) {
            notifyAll();
        }
        updateInterrupt();
    }

    private void clearRx() {
        rxHead = 0;
        rxCount = 0;
        if (inputWaiters > 0) {
            notifyAll();
        }
    }

    private int rxCapacity() {
        return (fcr & FCR_ENABLE) != 0 ? FIFO_SIZE : 1;
    }

    private int triggerLevel() {
        if ((fcr & FCR_ENABLE) == 0) {
            return 1;
        }
        int index = (fcr & FCR_TRIGGER) >>> 6;
        return (fcr & FCR_64_BYTE) != 0 ? TRIGGER_64[index] : TRIGGER_16[index];
    }

    /** Puts a byte on the receive side; on a full FIFO, sets OE and loses a byte as the part does. */
    private boolean receiveByte(int value) {
        if (rxCount < rxCapacity()) {
            rx[(rxHead + rxCount) & FIFO_MASK] = (byte) value;
            rxCount++;
            return true;
        }
        overrun = true;
        events.onOverrun();
        if ((fcr & FCR_ENABLE) == 0) {
            // An 8250 without FIFO overwrites the unread character; a 16550 FIFO keeps its contents.
            rx[rxHead] = (byte) value;
        }
        if (Log.LOG.isLoggable(Level.DEBUG)) {
            Log.LOG.log(Level.DEBUG, "serial: receive overrun, guest did not read RBR in time");
        }
        return false;
    }

    /** The IIR interrupt identification of the highest-priority enabled pending condition. */
    private int pendingInterrupt() {
        if ((ier & IER_RLS) != 0 && overrun) {
            return IIR_LINE_STATUS;
        }
        if ((ier & IER_RDA) != 0 && rxCount > 0) {
            return rxCount >= triggerLevel() ? IIR_RX_DATA : IIR_RX_TIMEOUT;
        }
        if ((ier & IER_THRE) != 0 && thrEmptyPending) {
            return IIR_THR_EMPTY;
        }
        if ((ier & IER_MS) != 0 && (msr & 0x0f) != 0) {
            return IIR_MODEM_STATUS;
        }
        return IIR_NONE;
    }

    private void updateInterrupt() {
        boolean pending = pendingInterrupt() != IIR_NONE;
        if (pending == lineHigh) {
            return;
        }
        lineHigh = pending;
        if (pending) {
            irq.raise();
            events.onInterrupt();
        } else {
            irq.lower();
        }
    }

    private void transmit(int value) {
        tx[txCount++] = (byte) value;
        events.onByteOut();
        if (txCount == tx.length) {
            drainOutput();
        }
    }

    private void drainOutput() {
        int count = txCount;
        txCount = 0;
        try {
            out.write(tx, 0, count);
            out.flush();
        } catch (IOException | RuntimeException e) {
            events.onOutputLost(count);
            if (!outputFailed) {
                outputFailed = true;
                Log.LOG.log(Level.WARNING, "serial: output failed, dropping what the guest writes: " + e);
            }
        }
    }

    // ---- the host side ----

    /**
     * Delivers bytes from the host to the guest, as if they arrived on the wire back to back.
     * Bytes that find the receive FIFO full are lost as on the real part: LSR.OE is set and
     * {@link SerialEvents#onOverrun()} is called for each. In loopback mode the receiver is
     * disconnected from the host and nothing is delivered. Use {@link #inputSpace()} to deliver
     * without loss.
     *
     * @param data   the bytes
     * @param offset the first byte to deliver
     * @param length how many bytes
     * @return how many bytes entered the receive FIFO
     * @throws IndexOutOfBoundsException if the range is outside {@code data}
     */
    public synchronized int enqueue(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        if ((mcr & MCR_LOOP) != 0 || length == 0) {
            return 0;
        }
        int delivered = 0;
        for (int i = 0; i < length; i++) {
            if (receiveByte(data[offset + i])) {
                delivered++;
            }
        }
        if (delivered > 0) {
            events.onBytesIn(delivered);
        }
        updateInterrupt();
        return delivered;
    }

    /**
     * Delivers bytes from the host to the guest; see {@link #enqueue(byte[], int, int)}.
     *
     * @param data the bytes
     * @return how many bytes entered the receive FIFO
     */
    public int enqueue(byte[] data) {
        return enqueue(data, 0, data.length);
    }

    /** {@return how many bytes {@link #enqueue} can deliver now without an overrun; 0 in loopback} */
    public synchronized int inputSpace() {
        return (mcr & MCR_LOOP) != 0 ? 0 : rxCapacity() - rxCount;
    }

    /**
     * Waits until {@link #inputSpace()} is positive: the guest read RBR, cleared the FIFO, or left
     * loopback.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public synchronized void awaitInputSpace() throws InterruptedException {
        while (inputSpace() == 0) {
            inputWaiters++;
            try {
                wait();
            } finally {
                inputWaiters--;
            }
        }
    }

    /** Writes buffered output to the stream and flushes it. Never throws: a failure drops the bytes. */
    @Override
    public synchronized void flush() {
        if (txCount > 0) {
            drainOutput();
        }
    }

    /** Flushes buffered output. The output stream stays open: its owner closes it. */
    @Override
    public void close() {
        flush();
    }

    @Override
    public String toString() {
        return "serial(irq=" + irq + ")";
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(Serial.class.getName());
    }
}
