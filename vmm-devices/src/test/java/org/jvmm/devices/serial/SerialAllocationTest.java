package org.jvmm.devices.serial;

import static org.junit.jupiter.api.Assertions.*;

import java.io.OutputStream;
import java.lang.reflect.Method;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.irq.InterruptLine;
import org.junit.jupiter.api.Test;

/** The polled transmit path (LSR read, THR write) runs once per guest byte: it must allocate nothing. */
class SerialAllocationTest {

    static long allocatedBytes() throws ReflectiveOperationException {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (long) m.invoke(bean);
    }

    @Test
    void polledTransmitAllocatesNothing() throws Exception {
        long[] written = new long[1];
        Serial serial = new Serial(InterruptLine.NONE, new OutputStream() {
            @Override
            public void write(int b) {
                written[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                written[0] += len;
            }
        });
        Bus bus = new Bus("pio");
        bus.register("com1", new AddressRange(0x3f8, Serial.PORTS), serial);
        long before = 0;
        for (int round = 0; round < 20; round++) {
            if (round == 10) {
                before = allocatedBytes();
            }
            for (int i = 0; i < 100_000; i++) {
                if ((bus.read(0x3fd, 1) & Serial.LSR_THRE) != 0) {
                    bus.write(0x3f8, 1, i);
                }
            }
        }
        long allocated = allocatedBytes() - before;
        serial.flush();
        assertEquals(2_000_000, written[0]);
        assertTrue(allocated < 16 * 1024, "1M polled bytes allocated " + allocated + " bytes");
    }
}
