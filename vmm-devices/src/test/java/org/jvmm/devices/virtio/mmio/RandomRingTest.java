package org.jvmm.devices.virtio.mmio;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.blk.VirtioBlock;
import org.jvmm.devices.virtio.console.VirtioConsole;
import org.jvmm.devices.virtio.queue.Virtqueue;
import org.jvmm.devices.virtio.rng.VirtioRng;

/**
 * Property: whatever the guest puts in its rings and registers, nothing escapes the bus access.
 * Descriptors are random but biased towards plausible values (small indexes, addresses inside
 * RAM, real flag bits), so chains get deep into the devices instead of failing on the first read.
 */
class RandomRingTest {

    private static final int RAM = 1 << 16;
    private static final int ROUNDS = 300;

    @TempDir
    Path dir;

    @Test
    void randomRingsNeverThrowOutOfTheDevices() throws Exception {
        Path image = dir.resolve("fuzz.img");
        Files.write(image, new byte[64 * 512]);
        try (VirtioBlock block = VirtioBlock.open(image, false)) {
            run("rng", () -> new VirtioRng(new Random(3)), 1);
            run("console", () -> new VirtioConsole(Channels.newChannel(new ByteArrayOutputStream()), 80, 25), 2);
            run("blk", () -> block, 1);
        }
    }

    private void run(String name, Supplier<VirtioDevice> devices, int queues) {
        Random random = new Random(name.hashCode());
        int reachedDevice = 0;
        for (int round = 0; round < ROUNDS; round++) {
            try (TestGuest guest = new TestGuest(RAM)) {
                VirtioDevice device = devices.get();
                MmioDriver driver = new MmioDriver(guest, device);
                driver.negotiateAll();
                DriverQueue[] rings = new DriverQueue[queues];
                for (int i = 0; i < queues; i++) {
                    rings[i] = driver.setupQueue(i, 8);
                }
                driver.driverOk();
                if (device instanceof VirtioConsole console) {
                    console.offer(new byte[] {1, 2, 3}, 0, 3);
                }
                for (DriverQueue ring : rings) {
                    scramble(random, ring);
                }
                int[] notifies = new int[20];
                for (int i = 0; i < notifies.length; i++) {
                    notifies[i] = random.nextInt(queues + 1);
                }
                assertDoesNotThrow(() -> {
                    for (int queue : notifies) {
                        driver.notify(queue);
                        driver.bus.write(MmioDriver.BASE + random.nextInt(0x200), 1 << random.nextInt(4), random.nextLong());
                        driver.bus.read(MmioDriver.BASE + random.nextInt(0x200), 1 << random.nextInt(4));
                    }
                }, name + " round " + round);
                for (String error : driver.observer.errors) {
                    assertTrue(!error.contains("device failed"), name + " round " + round + ": a host-side fault: " + error);
                }
                for (DriverQueue ring : rings) {
                    if (ring.usedIdx() != 0) {
                        reachedDevice++;
                    }
                }
            }
        }
        assertTrue(reachedDevice > 0, name + ": no random chain ever completed, so the test exercised nothing");
    }

    private static void scramble(Random random, DriverQueue ring) {
        for (int i = 0; i < ring.size; i++) {
            long addr = random.nextInt(8) == 0 ? random.nextLong() : random.nextInt(RAM);
            int len = random.nextInt(8) == 0 ? random.nextInt() : random.nextInt(1100);
            int flags = random.nextInt(8) == 0 ? random.nextInt(1 << 16)
                    : random.nextInt((Virtqueue.DESC_F_NEXT | Virtqueue.DESC_F_WRITE | Virtqueue.DESC_F_INDIRECT) + 1);
            int next = random.nextInt(8) == 0 ? random.nextInt(1 << 16) : random.nextInt(ring.size);
            ring.descriptor(i, addr, len, flags, next);
        }
        int entries = random.nextInt(ring.size + 2);
        for (int i = 0; i < entries; i++) {
            ring.publish(random.nextInt(8) == 0 ? random.nextInt(1 << 16) : random.nextInt(ring.size));
        }
        if (random.nextInt(10) == 0) {
            ring.setAvailIdx(random.nextInt(1 << 16));
        }
        ring.setUsedEvent(random.nextInt(1 << 16));
    }
}
