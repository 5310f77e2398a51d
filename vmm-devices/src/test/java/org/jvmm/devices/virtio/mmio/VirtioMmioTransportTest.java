package org.jvmm.devices.virtio.mmio;

import static org.jvmm.devices.virtio.DeviceStatus.ACKNOWLEDGE;
import static org.jvmm.devices.virtio.DeviceStatus.DEVICE_NEEDS_RESET;
import static org.jvmm.devices.virtio.DeviceStatus.DRIVER;
import static org.jvmm.devices.virtio.DeviceStatus.DRIVER_OK;
import static org.jvmm.devices.virtio.DeviceStatus.FAILED;
import static org.jvmm.devices.virtio.DeviceStatus.FEATURES_OK;
import static org.jvmm.devices.virtio.DriverQueue.ro;
import static org.jvmm.devices.virtio.DriverQueue.rw;
import static org.jvmm.devices.virtio.MmioDriver.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;
import org.jvmm.devices.virtio.VirtioContext;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.RecordingLine;
import org.jvmm.devices.virtio.VirtioFeatures;
import org.jvmm.devices.virtio.VirtioObserver;
import org.jvmm.devices.virtio.queue.DescriptorChain;
import org.jvmm.devices.virtio.queue.Virtqueue;

class VirtioMmioTransportTest {

    /** A device with two queues that returns every chain, reporting writable bytes as written. */
    static final class FakeDevice implements VirtioDevice {
        static final long FEATURE_A = 1L << 3;
        final byte[] config = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        VirtioContext context;
        int activations;
        int resets;
        int generation = 7;
        boolean throwOnActivate;
        final List<Integer> notified = new ArrayList<>();
        final List<long[]> configWrites = new ArrayList<>();

        @Override
        public int deviceId() {
            return 42;
        }

        @Override
        public long features() {
            return FEATURE_A;
        }

        @Override
        public int queueCount() {
            return 2;
        }

        @Override
        public int queueMaxSize(int queue) {
            return queue == 0 ? 16 : 64;
        }

        @Override
        public int configSize() {
            return config.length;
        }

        @Override
        public long readConfig(int offset, int size) {
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= (config[offset + i] & 0xFFL) << (8 * i);
            }
            return v;
        }

        @Override
        public void writeConfig(int offset, int size, long value) {
            configWrites.add(new long[] {offset, size, value});
        }

        @Override
        public int configGeneration() {
            return generation;
        }

        @Override
        public void activate(VirtioContext c) {
            if (throwOnActivate) {
                throw new IllegalStateException("no");
            }
            context = c;
            activations++;
        }

        @Override
        public void queueNotified(int queue) {
            notified.add(queue);
            Virtqueue q = context.queue(queue);
            DescriptorChain chain;
            while ((chain = q.pop()) != null) {
                int written = 0;
                long bytes = 0;
                while (chain.next()) {
                    context.memory().slice(chain.address(), Integer.toUnsignedLong(chain.length()));
                    bytes += Integer.toUnsignedLong(chain.length());
                    if (chain.isWriteOnly()) {
                        written += chain.length();
                    }
                }
                context.addUsed(queue, chain.head(), written, bytes);
            }
            context.signalUsed(queue);
        }

        @Override
        public void reset() {
            resets++;
            context = null;
        }
    }

    private final TestGuest guest = new TestGuest(1 << 20);
    private final FakeDevice device = new FakeDevice();
    private final MmioDriver driver = new MmioDriver(guest, device);

    @AfterEach
    void close() {
        guest.close();
    }

    private DriverQueue live() {
        driver.negotiateAll();
        DriverQueue q = driver.setupQueue(0, 8);
        driver.driverOk();
        assertEquals(1, device.activations);
        return q;
    }

    @Test
    void identificationRegisters() {
        assertEquals(0x74726976, driver.read(MAGIC));
        assertEquals(2, driver.read(VERSION));
        assertEquals(42, driver.read(DEVICE_ID));
        assertEquals(VirtioMmioTransport.VENDOR_ID, driver.read(VENDOR_ID));
        assertEquals(7, driver.read(CONFIG_GENERATION));
        assertEquals(-1, driver.read(SHM_LEN_LOW), "no shared memory regions");
    }

    @Test
    void deviceFeaturesAddTheTransportBits() {
        long expected = FakeDevice.FEATURE_A | VirtioFeatures.bit(VirtioFeatures.VERSION_1)
                | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX) | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);
        assertEquals(expected, driver.deviceFeatures());
        driver.write(DEVICE_FEATURES_SEL, 2);
        assertEquals(0, driver.read(DEVICE_FEATURES));
    }

    @Test
    void withheldFeaturesAreNotOfferedButVersion1CannotBeWithheld() {
        VirtioMmioTransport withheld = new VirtioMmioTransport(device, guest.memory, new RecordingLine(), VirtioObserver.NONE,
                VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX));
        withheld.write(DEVICE_FEATURES_SEL, 4, 0);
        long low = withheld.read(DEVICE_FEATURES, 4) & 0xffff_ffffL;
        withheld.write(DEVICE_FEATURES_SEL, 4, 1);
        long high = withheld.read(DEVICE_FEATURES, 4) & 0xffff_ffffL;
        assertEquals(FakeDevice.FEATURE_A | VirtioFeatures.bit(VirtioFeatures.VERSION_1)
                | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC), high << 32 | low);
        assertThrows(IllegalArgumentException.class, () -> new VirtioMmioTransport(device, guest.memory, new RecordingLine(),
                VirtioObserver.NONE, VirtioFeatures.bit(VirtioFeatures.VERSION_1)));
    }

    @Test
    void negotiationAcceptsOfferedFeatures() {
        long accepted = FakeDevice.FEATURE_A | VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        assertEquals(ACKNOWLEDGE | DRIVER | FEATURES_OK, driver.negotiate(accepted));
        assertEquals(accepted, driver.transport.negotiatedFeatures());
    }

    @Test
    void featuresOkIsRefusedWithoutVersion1() {
        assertEquals(ACKNOWLEDGE | DRIVER, driver.negotiate(FakeDevice.FEATURE_A));
    }

    @Test
    void featuresOkIsRefusedForFeaturesNeverOffered() {
        long v1 = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        assertEquals(ACKNOWLEDGE | DRIVER, driver.negotiate(v1 | 1L << 4), "low word");
        assertEquals(ACKNOWLEDGE | DRIVER, driver.negotiate(v1 | VirtioFeatures.bit(VirtioFeatures.RING_PACKED)), "high word");
        driver.write(STATUS, 0);
        driver.write(STATUS, ACKNOWLEDGE);
        driver.write(STATUS, ACKNOWLEDGE | DRIVER);
        driver.writeDriverFeatures(v1);
        driver.write(DRIVER_FEATURES_SEL, 2);
        driver.write(DRIVER_FEATURES, 1);
        driver.write(STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assertEquals(ACKNOWLEDGE | DRIVER, driver.status(), "bits beyond 64");
        assertEquals(ACKNOWLEDGE | DRIVER | FEATURES_OK, driver.negotiate(v1), "a reset clears the refusal");
    }

    @Test
    void driverFeaturesAreIgnoredOutsideTheNegotiationWindow() {
        long v1 = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        driver.write(STATUS, ACKNOWLEDGE);
        driver.writeDriverFeatures(v1);
        assertEquals(0, driver.transport.negotiatedFeatures(), "before DRIVER");
        driver.negotiate(v1);
        driver.writeDriverFeatures(v1 | FakeDevice.FEATURE_A);
        assertEquals(v1, driver.transport.negotiatedFeatures(), "after FEATURES_OK");
    }

    @Test
    void statusWrittenOutOfOrderIsIgnored() {
        driver.write(STATUS, DRIVER);
        assertEquals(0, driver.status(), "DRIVER without ACKNOWLEDGE");
        driver.write(STATUS, ACKNOWLEDGE | FEATURES_OK);
        assertEquals(0, driver.status(), "FEATURES_OK without DRIVER");
        driver.write(STATUS, ACKNOWLEDGE);
        driver.write(STATUS, ACKNOWLEDGE | DRIVER | DRIVER_OK);
        assertEquals(ACKNOWLEDGE, driver.status(), "DRIVER_OK without FEATURES_OK");
        driver.write(STATUS, ACKNOWLEDGE | DRIVER);
        driver.write(STATUS, ACKNOWLEDGE);
        assertEquals(ACKNOWLEDGE | DRIVER, driver.status(), "clearing a bit needs a reset");
        driver.write(STATUS, ACKNOWLEDGE | DRIVER | DEVICE_NEEDS_RESET);
        assertEquals(ACKNOWLEDGE | DRIVER, driver.status(), "the driver may not set NEEDS_RESET");
        driver.write(STATUS, ACKNOWLEDGE | DRIVER | FAILED);
        assertEquals(ACKNOWLEDGE | DRIVER | FAILED, driver.status(), "FAILED may be set at any time");
        assertEquals(0, device.activations);
    }

    @Test
    void driverOkActivatesTheDeviceOnce() {
        live();
        driver.driverOk();
        assertEquals(1, device.activations);
        assertEquals(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK, driver.status());
    }

    @Test
    void writingZeroResetsEverything() {
        DriverQueue q = live();
        q.add(rw(0x5000, 4));
        driver.notify(0);
        assertEquals(1, driver.read(INTERRUPT_STATUS));
        int resetsBefore = device.resets;
        driver.write(STATUS, 0);
        assertEquals(0, driver.status());
        assertEquals(resetsBefore + 1, device.resets);
        assertEquals(0, driver.read(INTERRUPT_STATUS));
        assertFalse(driver.irq.level);
        assertEquals(0, driver.transport.negotiatedFeatures());
        driver.write(QUEUE_SEL, 0);
        assertEquals(0, driver.read(QUEUE_READY));
        driver.notify(0);
        assertEquals(1, device.notified.size(), "a reset device is not notified");
    }

    @Test
    void queueNumMaxFollowsQueueSel() {
        driver.write(QUEUE_SEL, 0);
        assertEquals(16, driver.read(QUEUE_NUM_MAX));
        driver.write(QUEUE_SEL, 1);
        assertEquals(64, driver.read(QUEUE_NUM_MAX));
        driver.write(QUEUE_SEL, 2);
        assertEquals(0, driver.read(QUEUE_NUM_MAX), "no such queue");
        driver.write(QUEUE_SEL, -1);
        assertEquals(0, driver.read(QUEUE_NUM_MAX));
        assertEquals(0, driver.read(QUEUE_READY));
    }

    @Test
    void queueSizeMustBeAPowerOfTwoNoLargerThanMax() {
        driver.negotiateAll();
        DriverQueue q = DriverQueue.allocate(guest, 4);
        driver.configureQueue(0, 4, q.desc, q.avail, q.used);
        for (int bad : new int[] {0, 3, 32, 12, -4}) {
            driver.write(QUEUE_NUM, bad);
        }
        driver.write(QUEUE_READY, 1);
        driver.driverOk();
        assertEquals(4, device.context.queue(0).size(), "bad sizes keep the last good one");
    }

    @Test
    void misalignedOrOutOfRamQueuesStayNotReady() {
        driver.negotiateAll();
        DriverQueue q = DriverQueue.allocate(guest, 8);
        long[][] bad = {
            {q.desc + 4, q.avail, q.used},
            {q.desc, q.avail + 1, q.used},
            {q.desc, q.avail, q.used + 2},
            {0x1_0000_0000L, q.avail, q.used},
            {q.desc, (1 << 20) - 8, q.used},
        };
        for (long[] layout : bad) {
            driver.configureQueue(0, 8, layout[0], layout[1], layout[2]);
            driver.write(QUEUE_READY, 1);
            assertEquals(0, driver.read(QUEUE_READY), Long.toHexString(layout[0]) + " " + Long.toHexString(layout[1]));
        }
        driver.configureQueue(0, 8, q.desc, q.avail, q.used);
        driver.write(QUEUE_READY, 1);
        assertEquals(1, driver.read(QUEUE_READY));
    }

    @Test
    void queueRegistersAreIgnoredBeforeFeaturesOkAndAfterDriverOk() {
        DriverQueue q = DriverQueue.allocate(guest, 8);
        driver.write(STATUS, ACKNOWLEDGE | DRIVER);
        driver.configureQueue(0, 8, q.desc, q.avail, q.used);
        driver.write(QUEUE_READY, 1);
        assertEquals(0, driver.read(QUEUE_READY), "before FEATURES_OK");
        live();
        DriverQueue other = DriverQueue.allocate(guest, 8);
        driver.configureQueue(1, 8, other.desc, other.avail, other.used);
        driver.write(QUEUE_READY, 1);
        assertEquals(0, driver.read(QUEUE_READY), "after DRIVER_OK");
        driver.write(QUEUE_SEL, 0);
        driver.write(QUEUE_READY, 0);
        assertEquals(1, driver.read(QUEUE_READY), "a live queue cannot be disabled behind the device's back");
    }

    @Test
    void queueReadyZeroDisablesAQueueDuringSetup() {
        driver.negotiateAll();
        driver.setupQueue(0, 8);
        driver.write(QUEUE_READY, 0);
        assertEquals(0, driver.read(QUEUE_READY));
    }

    @Test
    void notifyReachesTheDeviceOnlyWhenLiveAndReady() {
        driver.negotiateAll();
        DriverQueue q = driver.setupQueue(0, 8);
        q.add(rw(0x5000, 4));
        driver.notify(0);
        assertTrue(device.notified.isEmpty(), "before DRIVER_OK");
        driver.driverOk();
        driver.notify(1);
        driver.notify(7);
        driver.notify(-1);
        assertTrue(device.notified.isEmpty(), "queue 1 never made ready; 7 and -1 do not exist");
        assertTrue(driver.observer.notified.isEmpty());
        assertFalse(driver.needsReset(), "bad notifies are ignored, not fatal");
        driver.notify(0);
        assertEquals(List.of(0), device.notified);
        assertEquals(List.of(0), driver.observer.notified);
        assertArrayEquals(new int[] {0, 4}, q.takeUsed()[0]);
    }

    @Test
    void notifyQueueWorksWithoutTheRegisterWrite() {
        DriverQueue q = live();
        q.add(ro(0x5000, 3));
        driver.transport.notifyQueue(0);
        assertEquals(List.of(0), device.notified);
        assertEquals(1, q.usedIdx());
        assertEquals(1, driver.observer.chains.size());
        assertArrayEquals(new long[] {0, 3}, driver.observer.chains.get(0));
    }

    @Test
    void usedBuffersRaiseTheLineAndAckLowersIt() {
        DriverQueue q = live();
        q.add(rw(0x5000, 4));
        driver.notify(0);
        assertEquals(VirtioMmioTransport.INT_USED_RING, driver.read(INTERRUPT_STATUS));
        assertTrue(driver.irq.level);
        assertEquals(List.of(1), driver.observer.interrupts);
        driver.write(INTERRUPT_ACK, 2);
        assertTrue(driver.irq.level, "acking a bit that is not set leaves the line up");
        driver.write(INTERRUPT_ACK, 1);
        assertEquals(0, driver.read(INTERRUPT_STATUS));
        assertFalse(driver.irq.level);
    }

    @Test
    void noInterruptWhenTheDriverSuppressesIt() {
        driver.negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        DriverQueue q = driver.setupQueue(0, 8);
        driver.driverOk();
        q.setAvailFlags(Virtqueue.AVAIL_F_NO_INTERRUPT);
        q.add(rw(0x5000, 4));
        driver.notify(0);
        assertEquals(1, q.usedIdx());
        assertEquals(0, driver.read(INTERRUPT_STATUS));
        assertEquals(0, driver.irq.raises);
    }

    @Test
    void eventIdxSuppressesInterruptsUntilUsedEvent() {
        DriverQueue q = live();
        q.setUsedEvent(1);
        q.add(rw(0x5000, 4));
        driver.notify(0);
        assertEquals(0, driver.irq.raises, "used idx 0 -> 1 does not pass used_event 1");
        q.add(rw(0x5000, 4));
        driver.notify(0);
        assertEquals(1, driver.irq.raises, "1 -> 2 does");
        assertEquals(2, q.availEvent(), "the device asks to be notified at the next entry");
    }

    @Test
    void aBrokenChainSetsNeedsResetAndStopsTheDevice() {
        DriverQueue q = live();
        q.descriptor(0, 0x5000, 1, Virtqueue.DESC_F_NEXT, 0);
        q.publish(0);
        driver.notify(0);
        assertTrue(driver.needsReset());
        assertEquals(VirtioMmioTransport.INT_CONFIG, driver.read(INTERRUPT_STATUS));
        assertTrue(driver.irq.level);
        assertEquals(1, driver.observer.errors.size());
        assertEquals(0, driver.transport.hostFaults(), "the guest's fault, not the host's");
        q.add(rw(0x5000, 4));
        driver.notify(0);
        assertEquals(1, device.notified.size(), "no more notifications until reset");
        driver.write(STATUS, 0);
        assertFalse(driver.needsReset());
        assertFalse(driver.irq.level);
    }

    @Test
    void buffersOutsideRamSetNeedsReset() {
        DriverQueue q = live();
        q.add(rw((1 << 20) - 2, 4));
        driver.notify(0);
        assertTrue(driver.needsReset(), "buffer straddling the end of RAM");
    }

    @Test
    void buffersAndRingsStraddlingTwoRegionsAreRefused() {
        try (TestGuest twoRegions = new TestGuest(new long[][] {{0, 1 << 20}, {1 << 20, 1 << 20}}, false)) {
            FakeDevice fake = new FakeDevice();
            MmioDriver d = new MmioDriver(twoRegions, fake);
            d.negotiateAll();
            DriverQueue good = DriverQueue.allocate(twoRegions, 8);
            d.configureQueue(0, 8, (1 << 20) - 64, good.avail, good.used);
            d.write(QUEUE_READY, 1);
            assertEquals(0, d.read(QUEUE_READY), "descriptor table across the region boundary");
            d.configureQueue(0, 8, good.desc, good.avail, good.used);
            d.write(QUEUE_READY, 1);
            d.driverOk();
            good.add(ro((1 << 20) - 8, 16));
            d.notify(0);
            assertTrue(d.needsReset(), "a buffer is one slice of one region");
        }
    }

    @Test
    void aFailedActivationSetsNeedsReset() {
        device.throwOnActivate = true;
        driver.negotiateAll();
        driver.setupQueue(0, 8);
        driver.driverOk();
        assertTrue(driver.needsReset());
        assertEquals(1, driver.transport.hostFaults(), "a device that throws is a host fault");
    }

    @Test
    void configSpaceIsReadAndWrittenWithinItsSize() {
        assertEquals(0x04030201L, driver.readConfig(0, 4));
        assertEquals(0x0A09L, driver.readConfig(8, 2));
        assertEquals(0x0807060504030201L, driver.readConfig(0, 8));
        assertEquals(0x0AL, driver.readConfig(9, 1));
        assertEquals(0, driver.readConfig(9, 2), "straddles the end");
        assertEquals(0, driver.readConfig(12, 4), "past the end");
        driver.bus.write(BASE + CONFIG + 4, 4, 0x1234);
        driver.bus.write(BASE + CONFIG + 8, 4, 0x1234);
        driver.bus.write(BASE + CONFIG + 0x100, 1, 1);
        assertEquals(1, device.configWrites.size(), "only the write inside the config space arrives");
        assertArrayEquals(new long[] {4, 4, 0x1234}, device.configWrites.get(0));
    }

    @Test
    void registersNeed32BitAccesses() {
        assertEquals(0, driver.bus.read(BASE + MAGIC, 2));
        assertEquals(0, driver.bus.read(BASE + MAGIC + 1, 4));
        driver.bus.write(BASE + STATUS, 1, ACKNOWLEDGE);
        assertEquals(0, driver.status());
    }

    @Test
    void readOnlyAndUnknownRegistersIgnoreWrites() {
        driver.write(MAGIC, 0);
        driver.write(DEVICE_ID, 1);
        driver.write(0x0f0, 5);
        assertEquals(0x74726976, driver.read(MAGIC));
        assertEquals(42, driver.read(DEVICE_ID));
        assertEquals(0, driver.read(0x0f0));
        assertEquals(0, driver.read(QUEUE_DESC_LOW), "write-only registers read as zero");
    }

    // ---- what the mutation run (docs/hardening.md) showed untested ----

    @Test
    void driverFeaturesMayBeWrittenHighWordFirst() {
        long accepted = FakeDevice.FEATURE_A | VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        driver.write(STATUS, ACKNOWLEDGE);
        driver.write(STATUS, ACKNOWLEDGE | DRIVER);
        driver.write(DRIVER_FEATURES_SEL, 1);
        driver.write(DRIVER_FEATURES, (int) (accepted >>> 32));
        driver.write(DRIVER_FEATURES_SEL, 0);
        driver.write(DRIVER_FEATURES, (int) accepted);
        driver.write(STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK);
        assertEquals(ACKNOWLEDGE | DRIVER | FEATURES_OK, driver.status());
        assertEquals(accepted, driver.transport.negotiatedFeatures(), "the low word write keeps the high word");
    }

    @Test
    void aConfigChangeAfterAResetRaisesNoInterrupt() {
        live();
        VirtioContext context = device.context;
        context.configChanged();
        assertEquals(VirtioMmioTransport.INT_CONFIG, driver.read(INTERRUPT_STATUS), "while live it interrupts");
        driver.write(STATUS, 0);
        int raises = driver.irq.raises;
        context.configChanged();
        assertEquals(raises, driver.irq.raises, "a device thread that reports a change after the reset");
        assertEquals(0, driver.read(INTERRUPT_STATUS));
    }
}
