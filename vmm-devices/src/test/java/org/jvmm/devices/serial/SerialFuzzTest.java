package org.jvmm.devices.serial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.jvmm.core.irq.InterruptLine;

/**
 * Fuzzes the 8250 register file: any sequence of reads and writes of any width at any offset,
 * host input and flushes, with an output stream that sometimes fails (with an IOException or a
 * RuntimeException). Nothing throws, the receive FIFO never holds more than 64 bytes (more than one
 * with the FIFOs off), the transmit buffer never overflows, and the state snapshot is always valid
 * and restores to an equal UART.
 *
 * <p>The device turns a failing output into a count of lost bytes instead of an exception, so the
 * test also checks that count: it models which register writes transmit a byte (THR with DLAB
 * clear, not in loopback) and requires that every transmitted byte is counted once
 * ({@code onByteOut}), reaches the output stream in order exactly once, in chunks of at most the
 * 4 KiB transmit buffer, and that {@code onOutputLost} adds up to exactly the bytes of the chunks
 * the stream refused: nothing lost silently, nothing counted lost that was delivered.
 */
class SerialFuzzTest {

    private static final VarHandle RX_COUNT;
    private static final VarHandle TX_COUNT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(Serial.class, MethodHandles.lookup());
            RX_COUNT = lookup.findVarHandle(Serial.class, "rxCount", int.class);
            TX_COUNT = lookup.findVarHandle(Serial.class, "txCount", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void registers(FuzzedDataProvider data) {
        FlakyOutput out = new FlakyOutput();
        SerialCounters counters = new SerialCounters();
        Serial serial = new Serial(InterruptLine.NONE, out, counters);
        Transmitter model = new Transmitter();
        int ops = data.consumeInt(0, 256);
        for (int i = 0; i < ops && data.remainingBytes() > 0; i++) {
            switch (data.consumeInt(0, 7)) {
                case 0, 1 -> {
                    int offset = data.consumeInt(0, 7);
                    int value = data.consumeInt(0, 255);
                    serial.write(offset, 1, value);
                    model.write(offset, 1, value);
                }
                case 2, 3 -> serial.read(data.consumeInt(0, 7), 1);
                case 4 -> {
                    long offset = data.consumeBoolean() ? data.consumeLong() : data.consumeLong(-2, 10);
                    int size = data.consumeBoolean() ? data.consumeInt() : data.consumeInt(0, 9);
                    if (data.consumeBoolean()) {
                        long value = data.consumeLong();
                        serial.write(offset, size, value);
                        model.write(offset, size, value);
                    } else {
                        serial.read(offset, size);
                    }
                }
                case 5 -> serial.enqueue(data.consumeBytes(data.consumeInt(0, 100)));
                case 6 -> {
                    out.failing = data.consumeBoolean();
                    out.unchecked = data.consumeBoolean();
                }
                default -> {
                    if (data.consumeBoolean()) {
                        serial.flush();
                    } else {
                        SerialState state = serial.state();
                        assertTrue(state.equals(new Serial(state, InterruptLine.NONE, out, SerialEvents.NONE).state()),
                                "state does not survive a restore");
                    }
                }
            }
            int rx = (int) RX_COUNT.get(serial);
            int tx = (int) TX_COUNT.get(serial);
            assertTrue(rx >= 0 && rx <= Serial.FIFO_SIZE, "receive FIFO holds " + rx);
            assertTrue(tx >= 0 && tx <= 4096, "transmit buffer holds " + tx);
            assertTrue(serial.inputSpace() >= 0 && serial.inputSpace() <= Serial.FIFO_SIZE, "input space");
            serial.state();
            checkOutput(model, out, counters, tx);
        }
        serial.flush();
        checkOutput(model, out, counters, 0);
    }

    /**
     * Every byte the guest transmitted was counted once and is either still buffered (the last
     * {@code buffered}) or was offered to the stream in order; the lost count is what the stream refused.
     */
    private static void checkOutput(Transmitter model, FlakyOutput out, SerialCounters counters, int buffered) {
        byte[] sent = model.bytes.toByteArray();
        byte[] offered = out.offered.toByteArray();
        assertEquals(sent.length, counters.bytesOut(), "bytes counted out");
        assertEquals(sent.length - buffered, offered.length, "bytes handed to the output stream");
        assertArrayEquals(Arrays.copyOf(sent, offered.length), offered, "the bytes the output stream was given");
        assertEquals(out.refused, counters.outputLost(), "bytes counted lost, against those the stream refused");
        assertEquals(offered.length - out.refused, out.delivered, "bytes delivered");
        assertTrue(out.largestChunk <= 4096, "a chunk of " + out.largestChunk + " bytes");
    }

    /** Which register writes transmit a byte: THR (offset 0) with DLAB clear and loopback off. */
    private static final class Transmitter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int lcr = SerialState.POWER_ON.lcr();
        int mcr = SerialState.POWER_ON.mcr();

        /** The device's rule for any width: byte i goes to offset + i, at most 8 bytes. */
        void write(long offset, int size, long value) {
            int n = size == 1 ? 1 : Math.clamp(size, 1, 8);
            for (int i = 0; i < n; i++) {
                long register = offset + i;
                int b = (int) (value >>> (8 * i)) & 0xff;
                if (register == Serial.DATA && (lcr & Serial.LCR_DLAB) == 0 && (mcr & Serial.MCR_LOOP) == 0) {
                    bytes.write(b);
                } else if (register == Serial.LCR) {
                    lcr = b;
                } else if (register == Serial.MCR) {
                    mcr = b & 0x1f;
                }
            }
        }
    }

    /**
     * An output that refuses writes while {@code failing} is set, like a closed pipe: with an
     * IOException, or a RuntimeException when {@code unchecked}. It records every byte it is
     * offered. Its flush never fails, so a chunk is either delivered or refused.
     */
    private static final class FlakyOutput extends OutputStream {
        boolean failing;
        boolean unchecked;
        final ByteArrayOutputStream offered = new ByteArrayOutputStream();
        long delivered;
        long refused;
        int largestChunk;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            offered.write(b, off, len);
            largestChunk = Math.max(largestChunk, len);
            if (failing) {
                refused += len;
                if (unchecked) {
                    throw new IllegalStateException("stream closed");
                }
                throw new IOException("broken pipe");
            }
            delivered += len;
        }
    }
}
