package org.jvmm.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;

/**
 * Plays a virtio-mmio driver against a transport registered on an MMIO bus, the way a guest
 * kernel would: every access goes through {@link Bus}.
 */
public final class MmioDriver {

    public static final long BASE = 0xD000_0000L;

    public static final int MAGIC = 0x000;
    public static final int VERSION = 0x004;
    public static final int DEVICE_ID = 0x008;
    public static final int VENDOR_ID = 0x00c;
    public static final int DEVICE_FEATURES = 0x010;
    public static final int DEVICE_FEATURES_SEL = 0x014;
    public static final int DRIVER_FEATURES = 0x020;
    public static final int DRIVER_FEATURES_SEL = 0x024;
    public static final int QUEUE_SEL = 0x030;
    public static final int QUEUE_NUM_MAX = 0x034;
    public static final int QUEUE_NUM = 0x038;
    public static final int QUEUE_READY = 0x044;
    public static final int QUEUE_NOTIFY = 0x050;
    public static final int INTERRUPT_STATUS = 0x060;
    public static final int INTERRUPT_ACK = 0x064;
    public static final int STATUS = 0x070;
    public static final int QUEUE_DESC_LOW = 0x080;
    public static final int QUEUE_DESC_HIGH = 0x084;
    public static final int QUEUE_DRIVER_LOW = 0x090;
    public static final int QUEUE_DRIVER_HIGH = 0x094;
    public static final int QUEUE_DEVICE_LOW = 0x0a0;
    public static final int QUEUE_DEVICE_HIGH = 0x0a4;
    public static final int SHM_LEN_LOW = 0x0b0;
    public static final int CONFIG_GENERATION = 0x0fc;
    public static final int CONFIG = 0x100;

    public final TestGuest guest;
    public final VirtioMmioTransport transport;
    public final RecordingLine irq = new RecordingLine();
    public final RecordingObserver observer = new RecordingObserver();
    public final Bus bus = new Bus("mmio");

    public MmioDriver(TestGuest guest, VirtioDevice device) {
        this(guest, device, true);
    }

    /** With {@code recording} false the transport gets {@link VirtioObserver#NONE}, which allocates nothing. */
    public MmioDriver(TestGuest guest, VirtioDevice device, boolean recording) {
        this.guest = guest;
        this.transport = new VirtioMmioTransport(device, guest.memory, irq, recording ? observer : VirtioObserver.NONE);
        bus.register("virtio", new AddressRange(BASE, VirtioMmioTransport.SIZE), transport);
    }

    public int read(int offset) {
        return (int) bus.read(BASE + offset, 4);
    }

    public void write(int offset, int value) {
        bus.write(BASE + offset, 4, value);
    }

    public long readConfig(int offset, int size) {
        return bus.read(BASE + CONFIG + offset, size);
    }

    public int status() {
        return read(STATUS);
    }

    public long deviceFeatures() {
        write(DEVICE_FEATURES_SEL, 0);
        long low = Integer.toUnsignedLong(read(DEVICE_FEATURES));
        write(DEVICE_FEATURES_SEL, 1);
        long high = Integer.toUnsignedLong(read(DEVICE_FEATURES));
        return low | high << 32;
    }

    public void writeDriverFeatures(long features) {
        write(DRIVER_FEATURES_SEL, 0);
        write(DRIVER_FEATURES, (int) features);
        write(DRIVER_FEATURES_SEL, 1);
        write(DRIVER_FEATURES, (int) (features >>> 32));
    }

    /** Reset, ACKNOWLEDGE, DRIVER, accept {@code features}, FEATURES_OK; returns the status read back. */
    public int negotiate(long features) {
        write(STATUS, 0);
        write(STATUS, DeviceStatus.ACKNOWLEDGE);
        write(STATUS, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
        writeDriverFeatures(features);
        write(STATUS, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
        return status();
    }

    /** Negotiates everything the device offers. */
    public void negotiateAll() {
        int status = negotiate(deviceFeatures());
        assertEquals(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK, status);
    }

    /** Writes a queue's size and ring addresses. */
    public void configureQueue(int index, int size, long desc, long avail, long used) {
        write(QUEUE_SEL, index);
        write(QUEUE_NUM, size);
        write(QUEUE_DESC_LOW, (int) desc);
        write(QUEUE_DESC_HIGH, (int) (desc >>> 32));
        write(QUEUE_DRIVER_LOW, (int) avail);
        write(QUEUE_DRIVER_HIGH, (int) (avail >>> 32));
        write(QUEUE_DEVICE_LOW, (int) used);
        write(QUEUE_DEVICE_HIGH, (int) (used >>> 32));
    }

    /** Lays out, configures and enables a queue; returns its driver side. */
    public DriverQueue setupQueue(int index, int size) {
        DriverQueue q = DriverQueue.allocate(guest, size);
        configureQueue(index, size, q.desc, q.avail, q.used);
        write(QUEUE_READY, 1);
        assertEquals(1, read(QUEUE_READY), "queue " + index + " ready");
        return q;
    }

    public void driverOk() {
        write(STATUS, status() | DeviceStatus.DRIVER_OK);
    }

    public void notify(int queue) {
        write(QUEUE_NOTIFY, queue);
    }

    public boolean needsReset() {
        return (status() & DeviceStatus.DEVICE_NEEDS_RESET) != 0;
    }
}
