package org.jvmm.devices.virtio.console;

import static org.jvmm.devices.virtio.DriverQueue.ro;
import static org.jvmm.devices.virtio.DriverQueue.rw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvmm.devices.thread.DeviceThread;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;
import org.jvmm.devices.virtio.VirtioFeatures;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;

class VirtioConsoleTest {

    // Shared: the input pump touches guest memory from its own thread.
    private final TestGuest guest = new TestGuest(1 << 20, true);
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final VirtioConsole console = new VirtioConsole(Channels.newChannel(out), 120, 40);
    private final MmioDriver driver = new MmioDriver(guest, console);
    private DriverQueue rx;
    private DriverQueue tx;

    @AfterEach
    void close() {
        guest.close();
    }

    private void live() {
        driver.negotiateAll();
        rx = driver.setupQueue(VirtioConsole.RECEIVEQ, 16);
        tx = driver.setupQueue(VirtioConsole.TRANSMITQ, 16);
        driver.driverOk();
    }

    @Test
    void offersSizeAndEmergencyWrite() {
        assertEquals(3, driver.read(MmioDriver.DEVICE_ID));
        long features = driver.deviceFeatures();
        assertTrue(VirtioFeatures.has(features, VirtioConsole.F_SIZE));
        assertTrue(VirtioFeatures.has(features, VirtioConsole.F_EMERG_WRITE));
        assertEquals(0, features & VirtioFeatures.bit(VirtioConsole.F_MULTIPORT));
        assertEquals(120, driver.readConfig(0, 2));
        assertEquals(40, driver.readConfig(2, 2));
        assertEquals(120 | 40 << 16, driver.readConfig(0, 4));
    }

    @Test
    void outputIsByteExactAcrossDescriptorsAndChains() {
        live();
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        long a = guest.put(java.util.Arrays.copyOfRange(all, 0, 100));
        long b = guest.put(java.util.Arrays.copyOfRange(all, 100, 101));
        long c = guest.put(java.util.Arrays.copyOfRange(all, 101, 256));
        int h1 = tx.add(ro(a, 100), ro(b, 1));
        int h2 = tx.add(ro(c, 155));
        driver.notify(VirtioConsole.TRANSMITQ);
        assertArrayEquals(all, out.toByteArray());
        int[][] used = tx.takeUsed();
        assertArrayEquals(new int[] {h1, 0}, used[0], "the device wrote nothing into a tx chain");
        assertArrayEquals(new int[] {h2, 0}, used[1]);
        assertEquals(1, driver.read(MmioDriver.INTERRUPT_STATUS));
        assertEquals(2, driver.observer.chains.size());
        assertEquals(101, driver.observer.chains.get(0)[1]);
    }

    @Test
    void inputWaitsForReceiveBuffers() {
        live();
        byte[] hello = "hello, guest".getBytes(StandardCharsets.US_ASCII);
        assertEquals(hello.length, console.offer(hello, 0, hello.length));
        assertEquals(hello.length, console.pendingInput());
        long small = guest.alloc(5, 8);
        long big = guest.alloc(64, 8);
        int h1 = rx.add(rw(small, 5));
        int h2 = rx.add(rw(big, 64));
        driver.notify(VirtioConsole.RECEIVEQ);
        assertEquals(0, console.pendingInput());
        int[][] used = rx.takeUsed();
        assertEquals(2, used.length);
        assertArrayEquals(new int[] {h1, 5}, used[0]);
        assertArrayEquals(new int[] {h2, hello.length - 5}, used[1]);
        assertEquals("hello", new String(guest.get(small, 5), StandardCharsets.US_ASCII));
        assertEquals(", guest", new String(guest.get(big, hello.length - 5), StandardCharsets.US_ASCII));
        assertTrue(driver.irq.level);
    }

    @Test
    void inputIsDeliveredAtOnceWhenBuffersAreWaiting() {
        live();
        long buffer = guest.alloc(16, 8);
        rx.add(rw(buffer, 16));
        driver.notify(VirtioConsole.RECEIVEQ);
        assertEquals(0, rx.usedIdx(), "no input, so the buffer stays with the device");
        console.offer(new byte[] {'x', 'y'}, 0, 2);
        assertEquals(1, rx.usedIdx());
        assertArrayEquals(new byte[] {'x', 'y'}, guest.get(buffer, 2));
        assertEquals(2, rx.takeUsed()[0][1]);
    }

    @Test
    void inputBeyondTheHostBufferIsRefused() {
        byte[] lots = new byte[VirtioConsole.INPUT_BUFFER_SIZE + 10];
        assertEquals(VirtioConsole.INPUT_BUFFER_SIZE, console.offer(lots, 0, lots.length));
        assertEquals(0, console.offer(lots, 0, 1));
    }

    @Test
    void pumpCopiesAStream() throws Exception {
        live();
        long buffer = guest.alloc(16, 8);
        rx.add(rw(buffer, 16));
        driver.notify(VirtioConsole.RECEIVEQ);
        DeviceThread pump = console.pumpFrom(new ByteArrayInputStream(new byte[] {1, 2, 3}), "test-input");
        pump.join(java.time.Duration.ofSeconds(5));
        assertEquals(1, rx.usedIdx());
        assertArrayEquals(new byte[] {1, 2, 3}, guest.get(buffer, 3));
    }

    @Test
    void resizeChangesConfigAndGenerationAndInterrupts() {
        live();
        int generation = driver.read(MmioDriver.CONFIG_GENERATION);
        console.resize(200, 50);
        assertEquals(200 | 50 << 16, driver.readConfig(0, 4));
        assertTrue(driver.read(MmioDriver.CONFIG_GENERATION) != generation);
        assertEquals(VirtioMmioTransport.INT_CONFIG, driver.read(MmioDriver.INTERRUPT_STATUS));
    }

    @Test
    void emergencyWritePrintsOneByte() {
        driver.bus.write(MmioDriver.BASE + MmioDriver.CONFIG + 8, 4, 'Z');
        assertArrayEquals(new byte[] {'Z'}, out.toByteArray());
    }

    @Test
    void aBrokenChainSendsNothing() {
        live();
        long good = guest.put("leaked".getBytes(StandardCharsets.US_ASCII));
        tx.add(ro(good, 6), ro(0x4000_0000L, 10));
        driver.notify(VirtioConsole.TRANSMITQ);
        assertTrue(driver.needsReset(), "second buffer outside RAM");
        assertEquals(0, out.size(), "the first buffer must not reach the host either");
        driver.write(MmioDriver.STATUS, 0);
        live();
        tx.descriptor(0, good, 6, org.jvmm.devices.virtio.queue.Virtqueue.DESC_F_NEXT, 1);
        tx.descriptor(1, good, 6, org.jvmm.devices.virtio.queue.Virtqueue.DESC_F_NEXT, 0);
        tx.publish(0);
        driver.notify(VirtioConsole.TRANSMITQ);
        assertTrue(driver.needsReset(), "a loop");
        assertEquals(0, out.size(), "a loop is found before anything is sent, not after 16 copies");
    }

    @Test
    void outputFromOutsideRamNeedsReset() {
        live();
        tx.add(ro(0x4000_0000L, 10));
        driver.notify(VirtioConsole.TRANSMITQ);
        assertTrue(driver.needsReset());
        assertEquals(0, out.size());
    }
}
