package org.jvmm.devices.serial;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.Random;
import org.jvmm.core.irq.InterruptLine;
import org.junit.jupiter.api.Test;

/** The input pump and the output flusher against a guest simulated on the test thread. */
class SerialHostThreadsTest {

    @Test
    void pumpDeliversEveryByteWithoutOverrunToASlowReader() throws Exception {
        SerialCounters counters = new SerialCounters();
        Serial serial = new Serial(InterruptLine.NONE, new ByteArrayOutputStream(), counters);
        serial.write(Serial.IIR_FCR, 1, Serial.FCR_ENABLE);
        byte[] data = new byte[5000];
        new Random(3).nextBytes(data);
        byte[] received = new byte[data.length];
        try (SerialInputPump pump = SerialInputPump.start(new ByteArrayInputStream(data), serial)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int n = 0;
            while (n < data.length && System.nanoTime() < deadline) {
                if ((serial.read(Serial.LSR, 1) & Serial.LSR_DR) != 0) {
                    received[n++] = (byte) serial.read(Serial.DATA, 1);
                } else {
                    Thread.onSpinWait();
                }
            }
            assertEquals(data.length, n, "all bytes arrived");
            assertTrue(pump.join(Duration.ofSeconds(5)), "the pump ends at end of stream");
        }
        assertArrayEquals(data, received);
        assertEquals(0, counters.overruns());
        assertEquals(data.length, counters.bytesIn());
    }

    @Test
    void closeStopsAPumpBlockedInRead() throws Exception {
        Serial serial = new Serial(InterruptLine.NONE, new ByteArrayOutputStream());
        PipedOutputStream host = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(host);
        SerialInputPump pump = SerialInputPump.start(in, serial);
        host.write('k');
        host.flush();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((serial.read(Serial.LSR, 1) & Serial.LSR_DR) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals('k', serial.read(Serial.DATA, 1));
        assertTrue(pump.isRunning(), "still waiting for input");
        pump.close();
        assertTrue(pump.join(Duration.ofSeconds(5)), "close ends the thread");
    }

    @Test
    void closeStopsAPumpWaitingForFifoSpace() throws Exception {
        Serial serial = new Serial(InterruptLine.NONE, new ByteArrayOutputStream());
        SerialInputPump pump = SerialInputPump.start(new ByteArrayInputStream(new byte[10]), serial);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (serial.inputSpace() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, serial.inputSpace(), "the one-byte receiver is full");
        assertTrue(pump.isRunning());
        pump.close();
        assertTrue(pump.join(Duration.ofSeconds(5)));
        assertEquals(0, serial.read(Serial.LSR, 1) & Serial.LSR_OE, "the pump never overran");
    }

    @Test
    void flusherWritesOutputSoonAfterTheGuestStops() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Serial serial = new Serial(InterruptLine.NONE, out);
        try (OutputFlusher flusher = OutputFlusher.start(serial, Duration.ofMillis(5), "test-flush")) {
            for (byte b : "login: ".getBytes()) {
                serial.write(Serial.DATA, 1, b);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (sizeOf(out, serial) < 7 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals("login: ", contents(out, serial));
            serial.write(Serial.DATA, 1, '!');
        }
        assertEquals("login: !", contents(out, serial), "closing the flusher flushes");
    }

    private static int sizeOf(ByteArrayOutputStream out, Serial lock) {
        synchronized (lock) {
            return out.size();
        }
    }

    private static String contents(ByteArrayOutputStream out, Serial lock) {
        synchronized (lock) {
            return out.toString();
        }
    }
}
