package org.jvmm.devices.serial;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jvmm.core.irq.InterruptLine;

/**
 * Fuzzes the 8250 register file: any sequence of reads and writes of any width at any offset,
 * host input and flushes, with an output stream that sometimes fails. Nothing throws, the receive
 * FIFO never holds more than 64 bytes (more than one with the FIFOs off), the transmit buffer
 * never overflows, and the state snapshot is always valid and restores to an equal UART.
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
        Serial serial = new Serial(InterruptLine.NONE, out);
        int ops = data.consumeInt(0, 256);
        for (int i = 0; i < ops && data.remainingBytes() > 0; i++) {
            switch (data.consumeInt(0, 7)) {
                case 0, 1 -> serial.write(data.consumeInt(0, 7), 1, data.consumeInt(0, 255));
                case 2, 3 -> serial.read(data.consumeInt(0, 7), 1);
                case 4 -> {
                    long offset = data.consumeBoolean() ? data.consumeLong() : data.consumeLong(-2, 10);
                    int size = data.consumeBoolean() ? data.consumeInt() : data.consumeInt(0, 9);
                    if (data.consumeBoolean()) {
                        serial.write(offset, size, data.consumeLong());
                    } else {
                        serial.read(offset, size);
                    }
                }
                case 5 -> serial.enqueue(data.consumeBytes(data.consumeInt(0, 100)));
                case 6 -> out.failing = data.consumeBoolean();
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
        }
    }

    /** An output that throws while {@code failing} is set, like a closed pipe. */
    private static final class FlakyOutput extends OutputStream {
        boolean failing;

        @Override
        public void write(int b) throws IOException {
            if (failing) {
                throw new IOException("broken pipe");
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (failing) {
                throw new IOException("broken pipe");
            }
        }
    }
}
