package org.jvmm.devices.ata;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data port is a guest's {@code rep insw} loop: it must allocate nothing. */
class AtaPioAllocationTest {
    @TempDir
    Path dir;

    /** Bytes this thread allocated so far, through com.sun.management (reflection: the module does not read it). */
    static long allocatedBytes() throws ReflectiveOperationException {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (long) m.invoke(bean);
    }

    @Test
    void readingSectorsWordByWordAllocatesNothing() throws Exception {
        Path path = dir.resolve("disk.img");
        Files.write(path, new byte[256 * 512]);
        try (AtaPio ata = AtaPio.open(path, false)) {
            Bus bus = new Bus("pio");
            bus.register("ata", new AddressRange(0x1f0, AtaPio.PORTS), ata);
            long checksum = 0;
            long before = 0;
            for (int round = 0; round < 200; round++) {
                if (round == 100) {
                    before = allocatedBytes(); // after warm-up
                }
                bus.write(0x1f2, 1, 0);
                bus.write(0x1f6, 1, 0xe0);
                bus.write(0x1f7, 1, AtaPio.CMD_READ_SECTORS);
                for (int i = 0; i < 256 * 256; i++) {
                    checksum += bus.read(0x1f0, 2);
                }
            }
            long allocated = allocatedBytes() - before;
            assertEquals(0, checksum);
            assertTrue(allocated < 16 * 1024, "100 reads of 128 KiB allocated " + allocated + " bytes");
        }
    }
}
