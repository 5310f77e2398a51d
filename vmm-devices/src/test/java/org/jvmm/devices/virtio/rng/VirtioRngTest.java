package org.jvmm.devices.virtio.rng;

import static org.jvmm.devices.virtio.DriverQueue.ro;
import static org.jvmm.devices.virtio.DriverQueue.rw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;

class VirtioRngTest {

    private final TestGuest guest = new TestGuest(1 << 20);

    @AfterEach
    void close() {
        guest.close();
    }

    private DriverQueue live(MmioDriver driver) {
        driver.negotiateAll();
        DriverQueue q = driver.setupQueue(0, 8);
        driver.driverOk();
        return q;
    }

    @Test
    void fillsTheRequestedBytesFromTheSource() {
        MmioDriver driver = new MmioDriver(guest, new VirtioRng(new Random(42)));
        assertEquals(4, driver.read(MmioDriver.DEVICE_ID));
        DriverQueue q = live(driver);
        long a = guest.alloc(100, 8);
        long b = guest.alloc(30, 8);
        long guard = guest.alloc(8, 8);
        int head = q.add(rw(a, 100), rw(b, 30));
        driver.notify(0);
        byte[] expected = new byte[4096];
        Random reference = new Random(42);
        reference.nextBytes(expected);
        assertArrayEquals(Arrays.copyOfRange(expected, 0, 100), guest.get(a, 100));
        reference.nextBytes(expected);
        assertArrayEquals(Arrays.copyOfRange(expected, 0, 30), guest.get(b, 30));
        assertArrayEquals(new byte[8], guest.get(guard, 8), "nothing past the buffers");
        assertArrayEquals(new int[] {head, 130}, q.takeUsed()[0]);
        assertTrue(driver.irq.level);
    }

    @Test
    void readableBuffersAreLeftAlone() {
        MmioDriver driver = new MmioDriver(guest, new VirtioRng(new Random(1)));
        DriverQueue q = live(driver);
        long in = guest.put(new byte[] {7, 7, 7, 7});
        long outBuf = guest.alloc(16, 8);
        q.add(ro(in, 4), rw(outBuf, 16));
        driver.notify(0);
        assertArrayEquals(new byte[] {7, 7, 7, 7}, guest.get(in, 4));
        assertEquals(16, q.takeUsed()[0][1]);
    }

    @Test
    void oneChainGetsAtMostTheCap() {
        MmioDriver driver = new MmioDriver(guest, new VirtioRng());
        DriverQueue q = live(driver);
        long big = guest.alloc(VirtioRng.MAX_BYTES_PER_CHAIN + 4096, 8);
        q.add(rw(big, VirtioRng.MAX_BYTES_PER_CHAIN + 4096));
        driver.notify(0);
        assertEquals(VirtioRng.MAX_BYTES_PER_CHAIN, q.takeUsed()[0][1]);
        assertArrayEquals(new byte[4096], guest.get(big + VirtioRng.MAX_BYTES_PER_CHAIN, 4096));
    }
}
