package org.jvmm.devices.serial;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Whatever the guest writes, the UART neither throws nor ends in an impossible state. */
class SerialRobustnessTest {
    private static final long[] OFFSETS = {-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 255, Long.MAX_VALUE, Long.MIN_VALUE};
    private static final int[] SIZES = {1, 2, 4, 8, 0, 3, -1, 16};
    private static final Set<Integer> IIR_IDS = Set.of(0x00, 0x01, 0x02, 0x04, 0x06, 0x0c);

    private static void assertSane(Serial serial) {
        int lsr = (int) serial.read(Serial.LSR, 1);
        assertEquals(Serial.LSR_THRE | Serial.LSR_TEMT, lsr & (Serial.LSR_THRE | Serial.LSR_TEMT), "transmitter always empty");
        int iir = (int) serial.read(Serial.IIR_FCR, 1);
        assertTrue(IIR_IDS.contains(iir & 0x0f), () -> "IIR id " + Integer.toHexString(iir));
        assertTrue((iir & 0x10) == 0 && ((iir & 0xc0) == 0 || (iir & 0xc0) == 0xc0), () -> "IIR " + Integer.toHexString(iir));
        serial.state(); // validates every register through the record
    }

    @Test
    void everyValueAtEveryOffsetAndSize() {
        RecordingInterruptLine line = new RecordingInterruptLine();
        Serial serial = new Serial(line, new ByteArrayOutputStream());
        for (int dlab = 0; dlab < 2; dlab++) {
            for (long offset : OFFSETS) {
                for (int size : SIZES) {
                    for (int value = 0; value < 256; value++) {
                        serial.write(Serial.LCR, 1, dlab == 0 ? 0x03 : 0x83);
                        serial.write(offset, size, value | ((long) value << 8) | ((long) value << 40));
                        for (long readOffset : OFFSETS) {
                            serial.read(readOffset, size);
                        }
                        serial.enqueue(new byte[] {(byte) value});
                        assertSane(serial);
                    }
                }
            }
        }
        assertEquals(line.high, (serial.read(Serial.IIR_FCR, 1) & 1) == 0, "line level matches IIR");
    }

    @Test
    void randomAccessesKeepLineAndIirInStep() {
        RecordingInterruptLine line = new RecordingInterruptLine();
        Serial serial = new Serial(line, new ByteArrayOutputStream());
        Random random = new Random(1);
        for (int i = 0; i < 200_000; i++) {
            int offset = random.nextInt(8);
            if (random.nextBoolean()) {
                serial.write(offset, 1, random.nextInt(256));
            } else if (offset != Serial.IIR_FCR) {
                serial.read(offset, 1);
            }
            if (random.nextInt(16) == 0) {
                serial.enqueue(new byte[random.nextInt(80)]);
            }
            SerialState s = serial.state();
            boolean pending = (readIirWithoutSideEffects(s) & 1) == 0;
            assertEquals(pending, line.high, () -> "line out of step with " + s);
        }
    }

    /** IIR as a fresh device in the same state reports it, leaving the device under test alone. */
    private static int readIirWithoutSideEffects(SerialState state) {
        return (int) new Serial(state, org.jvmm.core.irq.InterruptLine.NONE, new ByteArrayOutputStream(),
                SerialEvents.NONE).read(Serial.IIR_FCR, 1);
    }
}
