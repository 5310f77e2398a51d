package org.jvmm.devices.virtio.mmio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;
import org.jvmm.devices.virtio.VirtioContext;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.queue.DescriptorChain;
import org.jvmm.devices.virtio.queue.Virtqueue;

/**
 * QueueNotify write → pop → walk → push used → interrupt decision allocates nothing once warm.
 * Measured with the thread's allocation counter, reached by reflection because the module does
 * not read java.management.
 */
class HotPathAllocationTest {

    /** Walks every chain and returns it, touching no guest buffers. */
    static final class WalkingDevice implements VirtioDevice {
        VirtioContext context;

        @Override
        public int deviceId() {
            return 99;
        }

        @Override
        public long features() {
            return 0;
        }

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int queueMaxSize(int queue) {
            return 16;
        }

        @Override
        public int configSize() {
            return 0;
        }

        @Override
        public long readConfig(int offset, int size) {
            return 0;
        }

        @Override
        public void activate(VirtioContext c) {
            context = c;
        }

        @Override
        public void queueNotified(int queue) {
            Virtqueue q = context.queue(queue);
            DescriptorChain chain;
            while ((chain = q.pop()) != null) {
                long bytes = 0;
                while (chain.next()) {
                    bytes += chain.length();
                }
                context.addUsed(queue, chain.head(), 0, bytes);
            }
            context.signalUsed(queue);
        }

        @Override
        public void reset() {}
    }

    private static long allocatedBytes() throws Exception {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (Long) m.invoke(bean);
    }

    @Test
    void notifyPopWalkPushAllocatesNothing() throws Exception {
        try (TestGuest guest = new TestGuest(1 << 20)) {
            MmioDriver driver = new MmioDriver(guest, new WalkingDevice(), false);
            driver.negotiateAll();
            DriverQueue q = driver.setupQueue(0, 16);
            driver.driverOk();
            long table = guest.alloc(32, 16);
            q.descriptorAt(table, 0, 0x8000, 100, Virtqueue.DESC_F_NEXT, 1);
            q.descriptorAt(table, 1, 0x9000, 100, Virtqueue.DESC_F_WRITE, 0);
            q.descriptor(0, 0x5000, 10, Virtqueue.DESC_F_NEXT, 1);
            q.descriptor(1, 0x6000, 10, Virtqueue.DESC_F_NEXT | Virtqueue.DESC_F_WRITE, 2);
            q.descriptor(2, 0x7000, 10, Virtqueue.DESC_F_WRITE, 0);
            q.descriptor(3, table, 32, Virtqueue.DESC_F_INDIRECT, 0);
            int rounds = 0;
            for (int i = 0; i < 50_000; i++) {
                round(driver, q);
                rounds++;
            }
            long before = allocatedBytes();
            int measured = 20_000;
            for (int i = 0; i < measured; i++) {
                round(driver, q);
                rounds++;
            }
            long allocated = allocatedBytes() - before;
            assertEquals((2 * rounds) & 0xFFFF, q.usedIdx());
            // The counter read itself allocates a little; one byte per round would be 20 KB.
            assertTrue(allocated < 4096, allocated + " bytes allocated in " + measured + " rounds");
        }
    }

    private static void round(MmioDriver driver, DriverQueue q) {
        q.publish(0);
        q.publish(3);
        driver.notify(0);
        driver.write(MmioDriver.INTERRUPT_ACK, 1);
    }
}
