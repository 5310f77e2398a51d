package org.jvmm.devices.serial;

import static org.jvmm.devices.serial.Serial.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Random;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.irq.InterruptLine;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The UART through a port bus, as a guest sees it at COM1. */
class SerialTest {
    private static final long PORT = 0x3f8;

    private final RecordingInterruptLine line = new RecordingInterruptLine();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final SerialCounters counters = new SerialCounters();
    private Serial serial;
    private Bus bus;

    @BeforeEach
    void setUp() {
        serial = new Serial(line, output, counters);
        bus = new Bus("pio");
        bus.register("com1", new AddressRange(0x3f8, Serial.PORTS), serial);
    }

    private int in(int offset) {
        return (int) bus.read(PORT + offset, 1);
    }

    private void out(int offset, int value) {
        bus.write(PORT + offset, 1, value);
    }

    private byte[] flushed() {
        serial.flush();
        return output.toByteArray();
    }

    @Test
    void powerOnRegisters() {
        assertEquals(LSR_THRE | LSR_TEMT, in(LSR));
        assertEquals(IIR_NONE, in(IIR_FCR));
        assertEquals(0, in(IER));
        assertEquals(0x03, in(LCR));
        assertEquals(MCR_OUT2, in(MCR));
        assertEquals(MSR_DCD | MSR_DSR | MSR_CTS, in(MSR));
        assertFalse(line.high);
        assertEquals(List.of(), line.take());
    }

    @Test
    void dlabSwitchesOffsetsZeroAndOneToTheDivisorLatch() {
        out(IER, IER_RDA);
        out(LCR, LCR_DLAB | 0x03);
        out(DATA, 0x01);
        out(IER, 0x02);
        assertEquals(0x01, in(DATA));
        assertEquals(0x02, in(IER));
        assertEquals(0x0201, serial.state().divisor());
        assertEquals(0, flushed().length, "a DLL write must not transmit");
        out(LCR, 0x03);
        assertEquals(IER_RDA, in(IER), "IER is untouched by DLM writes");
        out(DATA, 'x');
        assertArrayEquals(new byte[] {'x'}, flushed());
        out(LCR, LCR_DLAB);
        assertEquals(0x0201, bus.read(PORT, 2), "a 16-bit read spans DLL and DLM");
        bus.write(PORT, 2, 0x0c00 | 0x30);
        assertEquals(0x0c30, serial.state().divisor());
    }

    @Test
    void scratchRegisterKeepsEveryValue() {
        for (int v = 0; v < 256; v++) {
            out(SCR, v);
            assertEquals(v, in(SCR));
        }
    }

    @Test
    void fifoEnableAnd64ByteModeShowInIir() {
        out(IIR_FCR, FCR_ENABLE);
        assertEquals(IIR_FIFO_ENABLED | IIR_NONE, in(IIR_FCR));
        out(IIR_FCR, FCR_ENABLE | FCR_64_BYTE);
        assertEquals(IIR_FIFO_ENABLED | IIR_NONE, in(IIR_FCR), "64-byte mode needs DLAB set");
        out(LCR, LCR_DLAB | 0x03);
        out(IIR_FCR, FCR_ENABLE | FCR_64_BYTE);
        out(LCR, 0x03);
        assertEquals(IIR_FIFO_ENABLED | IIR_FIFO_64 | IIR_NONE, in(IIR_FCR));
        out(IIR_FCR, 0);
        assertEquals(IIR_NONE, in(IIR_FCR));
    }

    @Test
    void fifoHolds64BytesAndTheNextOverruns() {
        out(IIR_FCR, FCR_ENABLE);
        byte[] data = new byte[65];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i + 1);
        }
        assertEquals(64, serial.inputSpace());
        assertEquals(64, serial.enqueue(data));
        assertEquals(LSR_THRE | LSR_TEMT | LSR_DR | LSR_OE, in(LSR));
        assertEquals(LSR_THRE | LSR_TEMT | LSR_DR, in(LSR), "reading LSR clears OE");
        for (int i = 0; i < 64; i++) {
            assertEquals(i + 1, in(DATA));
        }
        assertEquals(LSR_THRE | LSR_TEMT, in(LSR));
        assertEquals(1, counters.overruns());
        assertEquals(64, counters.bytesIn());
    }

    @Test
    void withoutFifoTheReceiverHoldsOneByteAndANewOneOverwritesIt() {
        assertEquals(1, serial.inputSpace());
        assertEquals(1, serial.enqueue(new byte[] {1, 2}));
        assertEquals(LSR_THRE | LSR_TEMT | LSR_DR | LSR_OE, in(LSR));
        assertEquals(2, in(DATA), "an 8250 loses the unread character");
        assertEquals(0, in(LSR) & LSR_DR);
    }

    @Test
    void fcrClearsTheReceiveFifo() {
        out(IIR_FCR, FCR_ENABLE);
        serial.enqueue(new byte[] {1, 2, 3});
        out(IIR_FCR, FCR_ENABLE | FCR_CLEAR_RX);
        assertEquals(0, in(LSR) & LSR_DR);
        assertEquals(64, serial.inputSpace());
        serial.enqueue(new byte[] {4});
        out(IIR_FCR, 0);
        assertEquals(0, in(LSR) & LSR_DR, "turning the FIFO off empties it");
    }

    @Test
    void triggerLevelSeparatesDataAvailableFromTimeout() {
        out(IIR_FCR, FCR_ENABLE | 0x80); // trigger at 8
        out(IER, IER_RDA);
        serial.enqueue(new byte[7]);
        assertEquals(IIR_FIFO_ENABLED | IIR_RX_TIMEOUT, in(IIR_FCR));
        assertTrue(line.high, "bytes below the trigger still interrupt, as the timeout does");
        serial.enqueue(new byte[1]);
        assertEquals(IIR_FIFO_ENABLED | IIR_RX_DATA, in(IIR_FCR));
        in(DATA);
        assertEquals(IIR_FIFO_ENABLED | IIR_RX_TIMEOUT, in(IIR_FCR));

        out(LCR, LCR_DLAB | 0x03);
        out(IIR_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_64_BYTE | 0xc0); // trigger at 56
        out(LCR, 0x03);
        serial.enqueue(new byte[55]);
        assertEquals(IIR_FIFO_ENABLED | IIR_FIFO_64 | IIR_RX_TIMEOUT, in(IIR_FCR));
        serial.enqueue(new byte[1]);
        assertEquals(IIR_FIFO_ENABLED | IIR_FIFO_64 | IIR_RX_DATA, in(IIR_FCR));
    }

    @Test
    void loopbackReturnsThrBytesAndMirrorsMcrInMsr() {
        out(IIR_FCR, FCR_ENABLE);
        out(MCR, MCR_LOOP);
        assertEquals(0, in(MSR) & 0xf0, "no modem control bit set, no status bit");
        out(DATA, 'A');
        out(DATA, 'B');
        assertEquals(0, flushed().length, "loopback bytes never reach the host");
        assertEquals(LSR_THRE | LSR_TEMT | LSR_DR, in(LSR));
        assertEquals('A', in(DATA));
        assertEquals('B', in(DATA));
        assertEquals(0, serial.enqueue(new byte[] {9}), "the receiver is disconnected from the host");

        out(MCR, MCR_LOOP | MCR_RTS);
        assertEquals(MSR_CTS | MSR_DCTS, in(MSR));
        assertEquals(MSR_CTS, in(MSR), "reading MSR clears the deltas");
        out(MCR, MCR_LOOP | MCR_DTR);
        assertEquals(MSR_DSR | MSR_DDSR | MSR_DCTS, in(MSR));
        out(MCR, MCR_LOOP | MCR_OUT1);
        assertEquals(MSR_RI | MSR_DDSR, in(MSR), "RI rising is no TERI");
        out(MCR, MCR_LOOP | MCR_OUT2);
        assertEquals(MSR_DCD | MSR_TERI | MSR_DDCD, in(MSR), "RI falling is TERI");
        out(MCR, MCR_OUT2);
        assertEquals(MSR_DCD | MSR_DSR | MSR_CTS | MSR_DCTS | MSR_DDSR, in(MSR));
        out(DATA, 'C');
        assertArrayEquals(new byte[] {'C'}, flushed());
        assertEquals(1, serial.enqueue(new byte[] {9}));
    }

    @Test
    void loopbackOverrunSetsOe() {
        out(MCR, MCR_LOOP);
        out(DATA, 1);
        out(DATA, 2);
        assertEquals(LSR_THRE | LSR_TEMT | LSR_DR | LSR_OE, in(LSR));
        assertEquals(1, counters.overruns());
    }

    @Test
    void iirReportsTheHighestPriorityAndEachReadClearsTheRightCondition() {
        out(MCR, MCR_LOOP);
        out(DATA, 1);
        out(DATA, 2); // overrun
        out(MCR, MCR_LOOP | MCR_RTS); // modem status delta
        line.take();
        out(IER, IER_RDA | IER_THRE | IER_RLS | IER_MS);
        assertTrue(line.high);
        assertEquals(IIR_LINE_STATUS, in(IIR_FCR));
        assertEquals(IIR_LINE_STATUS, in(IIR_FCR), "reading IIR does not clear line status");
        in(LSR);
        assertEquals(IIR_RX_DATA, in(IIR_FCR));
        in(DATA);
        assertEquals(IIR_THR_EMPTY, in(IIR_FCR), "the read shows THRE and clears it");
        assertEquals(IIR_MODEM_STATUS, in(IIR_FCR));
        assertTrue(line.high);
        in(MSR);
        assertEquals(IIR_NONE, in(IIR_FCR));
        assertFalse(line.high);
        assertEquals(List.of("raise", "lower"), line.take());
    }

    @Test
    void interruptLineFollowsEnabledPendingConditions() {
        serial.enqueue(new byte[] {1});
        assertEquals(List.of(), line.take(), "no interrupt while IER is 0");
        out(IER, IER_RDA);
        assertEquals(List.of("raise"), line.take(), "enabling a pending condition raises");
        in(DATA);
        assertEquals(List.of("lower"), line.take(), "draining RBR lowers");
        serial.enqueue(new byte[] {2});
        assertEquals(List.of("raise"), line.take());
        out(IER, 0);
        assertEquals(List.of("lower"), line.take(), "disabling lowers");
        in(DATA);

        out(IER, IER_THRE);
        assertEquals(List.of("raise"), line.take(), "enabling THRE with an empty THR raises");
        assertEquals(IIR_THR_EMPTY, in(IIR_FCR));
        assertEquals(List.of("lower"), line.take(), "reading IIR clears THRE");
        out(DATA, 'a');
        assertEquals(List.of("raise"), line.take(), "THR drained: THRE again");
        out(DATA, 'b');
        assertEquals(List.of("lower", "raise"), line.take(), "each write is a new edge");
        assertEquals(5, counters.interrupts(), "one per raise");
    }

    @Test
    void polledTransmitIsByteExact() {
        byte[] data = new byte[100_000];
        new Random(42).nextBytes(data);
        int busyPolls = 0;
        for (byte b : data) {
            while ((in(LSR) & LSR_THRE) == 0) {
                busyPolls++;
            }
            out(DATA, b);
        }
        assertArrayEquals(data, flushed());
        assertEquals(0, busyPolls, "the host drains at once");
        assertEquals(data.length, counters.bytesOut());
        assertEquals(List.of(), line.take(), "a polling guest gets no interrupt");
    }

    @Test
    void interruptDrivenTransmitFillsTheFifoOnEveryThreInterrupt() {
        out(LCR, LCR_DLAB | 0x03);
        out(IIR_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_64_BYTE);
        out(LCR, 0x03);
        byte[] data = new byte[1000];
        new Random(7).nextBytes(data);
        out(IER, IER_THRE);
        int sent = 0;
        int interrupts = 0;
        while (sent < data.length) {
            assertTrue(line.high, "THRE interrupt pending after " + sent + " bytes");
            int iir = in(IIR_FCR);
            assertEquals(IIR_FIFO_ENABLED | IIR_FIFO_64 | IIR_THR_EMPTY, iir);
            assertFalse(line.high, "reading IIR clears THRE");
            interrupts++;
            for (int i = 0; i < FIFO_SIZE && sent < data.length; i++) {
                assertTrue((in(LSR) & LSR_THRE) != 0);
                out(DATA, data[sent++]);
            }
        }
        out(IER, 0);
        assertFalse(line.high);
        assertArrayEquals(data, flushed());
        assertEquals((data.length + FIFO_SIZE - 1) / FIFO_SIZE, interrupts);
    }

    @Test
    void outputIsBufferedAndWrittenWhenFullOrFlushedOrClosed() {
        CountingStream stream = new CountingStream();
        Serial s = new Serial(InterruptLine.NONE, stream);
        for (int i = 0; i < 10; i++) {
            s.write(DATA, 1, 'a' + i);
        }
        assertEquals(0, stream.bytes.size(), "no stream write per byte");
        s.flush();
        assertEquals("abcdefghij", stream.bytes.toString());
        assertEquals(1, stream.writes);
        assertTrue(stream.flushes >= 1);
        for (int i = 0; i < 5000; i++) {
            s.write(DATA, 1, 'z');
        }
        assertEquals(10 + 4096, stream.bytes.size(), "a full buffer goes out without a flush");
        s.close();
        assertEquals(5010, stream.bytes.size(), "close flushes the rest");
        assertEquals(3, stream.writes);
    }

    @Test
    void aFailingStreamDropsBytesWithoutBotheringTheGuest() {
        SerialCounters c = new SerialCounters();
        Serial s = new Serial(InterruptLine.NONE, new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("broken pipe");
            }
        }, c);
        for (int i = 0; i < 10; i++) {
            s.write(DATA, 1, i);
        }
        s.flush();
        assertEquals(10, c.outputLost());
        assertEquals(LSR_THRE | LSR_TEMT, s.read(LSR, 1));
    }

    @Test
    void stateRoundTripsThroughTheRecord() {
        out(LCR, LCR_DLAB | 0x1b);
        out(DATA, 0x30);
        out(IIR_FCR, FCR_ENABLE | FCR_64_BYTE | 0x40);
        out(LCR, 0x1b);
        out(SCR, 0x5a);
        out(MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
        serial.enqueue(new byte[] {10, 20, 30});
        out(IER, IER_RDA);
        SerialState saved = serial.state();
        assertEquals(new SerialState(0x30, IER_RDA, 0x1b, MCR_DTR | MCR_RTS | MCR_OUT2, 0xb0, 0x5a,
                FCR_ENABLE | FCR_64_BYTE | 0x40, false, false, new byte[] {10, 20, 30}), saved);

        RecordingInterruptLine restoredLine = new RecordingInterruptLine();
        Serial restored = new Serial(saved, restoredLine, new ByteArrayOutputStream(), SerialEvents.NONE);
        assertEquals(saved, restored.state());
        assertTrue(restoredLine.high, "a pending interrupt is raised on restore");
        assertEquals(IIR_FIFO_ENABLED | IIR_FIFO_64 | IIR_RX_TIMEOUT, restored.read(IIR_FCR, 1));
        assertEquals(10, restored.read(DATA, 1));
        assertEquals(20, restored.read(DATA, 1));
        assertEquals(30, restored.read(DATA, 1));
        assertFalse(restoredLine.high);
    }

    @Test
    void stateRejectsImpossibleValues() {
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0x10000, 0, 0, 0, 0, 0, 0, false, false, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0, 0x10, 0, 0, 0, 0, 0, false, false, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0, 0, 0, 0, 0, 0, 0x40, false, false, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0, 0, 0, 0, 0, 0, 0, false, false, new byte[2]));
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0, 0, 0, 0, 0, 0, 1, false, false, new byte[65]));
        byte[] fifo = {1};
        SerialState s = new SerialState(0, 0, 0, 0, 0, 0, 0, false, false, fifo);
        fifo[0] = 2;
        assertEquals(1, s.rxFifo()[0], "the record copies the FIFO");
    }

    @Test
    void offsetsOutsideTheRegistersReadAllOnesAndIgnoreWrites() {
        assertEquals(0xff, serial.read(8, 1));
        assertEquals(0xff, serial.read(-1, 1));
        serial.write(8, 1, 0x41);
        assertEquals(0, flushed().length);
        assertEquals(0xff00, serial.read(SCR, 2), "SCR, then all ones past offset 7");
        assertEquals(0xb0_60, serial.read(LSR, 2), "a 16-bit read at LSR reads LSR and MSR");
    }

    // ---- what the mutation run (docs/hardening.md) showed untested ----

    @Test
    void anFcrWriteWithoutClearKeepsTheFifoAndTurningTheFifoOnEmptiesTheReceiver() {
        serial.enqueue(new byte[] {7});
        out(IIR_FCR, FCR_ENABLE);
        assertEquals(0, in(LSR) & LSR_DR, "FIFO mode switched on: the byte in the holding register is gone");
        serial.enqueue(new byte[] {1, 2});
        out(IIR_FCR, FCR_ENABLE | 0x40);
        assertEquals(LSR_DR, in(LSR) & LSR_DR, "a new trigger level without CLEAR_RX keeps the bytes");
        assertEquals(1, in(DATA));
        assertEquals(2, in(DATA));
    }

    @Test
    void aTwoByteWriteTouchesExactlyTwoRegisters() {
        bus.write(PORT + IER, 2, 0x00_00 | IER_RDA);
        assertEquals(IER_RDA, in(IER));
        assertEquals(0x03, in(LCR), "the register after the two is untouched");
        bus.write(PORT + SCR, 2, 0x1234);
        assertEquals(0x34, in(SCR));
    }

    @Test
    void stateRejectsEveryRegisterOutOfRangeAndTellsStatesApart() {
        byte[] none = new byte[0];
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0, 0, 0x100, 0, 0, 0, 0, false, false, none), "lcr");
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0, 0, 0, 0x20, 0, 0, 0, false, false, none), "mcr");
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0, 0, 0, 0, 0x100, 0, 0, false, false, none), "msr");
        assertThrows(IllegalArgumentException.class, () -> new SerialState(0, 0, 0, 0, 0, 0x100, 0, false, false, none), "scr");
        SerialState a = new SerialState(12, 1, 3, 8, 0xb0, 5, 1, false, true, new byte[] {1});
        assertEquals(a, new SerialState(12, 1, 3, 8, 0xb0, 5, 1, false, true, new byte[] {1}));
        assertEquals(a.hashCode(), new SerialState(12, 1, 3, 8, 0xb0, 5, 1, false, true, new byte[] {1}).hashCode());
        assertNotEquals(a, new SerialState(12, 1, 3, 8, 0xb0, 5, 1, false, true, new byte[] {2}), "FIFO contents");
        assertNotEquals(a, new SerialState(13, 1, 3, 8, 0xb0, 5, 1, false, true, new byte[] {1}), "divisor");
        assertNotEquals(a, new SerialState(12, 1, 3, 8, 0xb0, 5, 1, true, true, new byte[] {1}), "overrun");
    }

    private static final class CountingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int writes;
        int flushes;

        @Override
        public void write(int b) {
            writes++;
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes++;
            bytes.write(b, off, len);
        }

        @Override
        public void flush() {
            flushes++;
        }
    }
}
