package org.jvmm.devices.virtio.mmio;

import java.lang.System.Logger.Level;
import java.util.Objects;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.irq.InterruptLine;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestMemoryException;
import org.jvmm.devices.virtio.DeviceStatus;
import org.jvmm.devices.virtio.FeatureNegotiation;
import org.jvmm.devices.virtio.VirtioContext;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.VirtioFeatures;
import org.jvmm.devices.virtio.VirtioObserver;
import org.jvmm.devices.virtio.queue.Virtqueue;
import org.jvmm.devices.virtio.queue.VirtqueueException;

/**
 * The virtio-mmio transport, version 2 (VIRTIO 1.2, section 4.2): a {@link BusDevice} of
 * {@link #SIZE} bytes holding the control registers and, from offset {@code 0x100}, the device's
 * configuration space.
 *
 * <p><b>Guest errors.</b> Everything here is guest-reachable: an access of the wrong width, a
 * write at the wrong time or with a bad value is logged at debug level and ignored (the register
 * keeps its old value). A broken chain or a buffer outside guest memory found while the device
 * works sets {@link DeviceStatus#DEVICE_NEEDS_RESET}, raises a configuration-change interrupt and
 * stops the device until the driver resets it.
 *
 * <p><b>Notifications.</b> A QueueNotify write runs the device on the calling vCPU thread. A
 * machine that routes QueueNotify to a KVM ioeventfd instead calls {@link #notifyQueue} from the
 * thread draining that eventfd; the transport then never sees the write.
 *
 * <p><b>Interrupts.</b> Bit 0 of InterruptStatus (used buffers) is set and the line raised when a
 * queue's used ring says the driver wants an interrupt; bit 1 on a configuration change or device
 * error. InterruptACK clears bits and lowers the line when none remain.
 *
 * <p><b>Threads.</b> vCPU threads (register accesses) and device threads (ioeventfd, console
 * input) both reach the queues and the status state machine. One lock per transport serialises
 * them: a virtqueue is single-consumer by design (one {@code next_avail}, one reused chain cursor),
 * a reset must not run while a chain is half processed, and per-device contention is low because a
 * device has one guest driver. The lock is held while the device works, so a slow disk write
 * delays only this device's register accesses.
 */
public final class VirtioMmioTransport implements BusDevice {

    /** Size of the register window in bytes. */
    public static final long SIZE = 0x1000;

    /** "virt", little-endian. */
    public static final int MAGIC_VALUE = 0x7472_6976;
    /** The modern (non-legacy) interface version. */
    public static final int VERSION = 2;
    /** Vendor id reported to the guest. */
    public static final int VENDOR_ID = 0x4A56_4D4D;

    /** InterruptStatus bit: a used ring was updated. */
    public static final int INT_USED_RING = 1;
    /** InterruptStatus bit: the configuration changed (or the device needs a reset). */
    public static final int INT_CONFIG = 2;

    /**
     * Offset of the QueueNotify register: the driver writes a queue index there (32 bits) to
     * notify the device. A machine that routes notifications to a KVM ioeventfd registers
     * {@code base + QUEUE_NOTIFY_OFFSET}, 4 bytes, one eventfd per queue with the index as
     * datamatch, and calls {@link #notifyQueue} from the thread draining it.
     */
    public static final int QUEUE_NOTIFY_OFFSET = 0x050;

    static final int REG_MAGIC = 0x000;
    static final int REG_VERSION = 0x004;
    static final int REG_DEVICE_ID = 0x008;
    static final int REG_VENDOR_ID = 0x00c;
    static final int REG_DEVICE_FEATURES = 0x010;
    static final int REG_DEVICE_FEATURES_SEL = 0x014;
    static final int REG_DRIVER_FEATURES = 0x020;
    static final int REG_DRIVER_FEATURES_SEL = 0x024;
    static final int REG_QUEUE_SEL = 0x030;
    static final int REG_QUEUE_NUM_MAX = 0x034;
    static final int REG_QUEUE_NUM = 0x038;
    static final int REG_QUEUE_READY = 0x044;
    static final int REG_QUEUE_NOTIFY = QUEUE_NOTIFY_OFFSET;
    static final int REG_INTERRUPT_STATUS = 0x060;
    static final int REG_INTERRUPT_ACK = 0x064;
    static final int REG_STATUS = 0x070;
    static final int REG_QUEUE_DESC_LOW = 0x080;
    static final int REG_QUEUE_DESC_HIGH = 0x084;
    static final int REG_QUEUE_DRIVER_LOW = 0x090;
    static final int REG_QUEUE_DRIVER_HIGH = 0x094;
    static final int REG_QUEUE_DEVICE_LOW = 0x0a0;
    static final int REG_QUEUE_DEVICE_HIGH = 0x0a4;
    static final int REG_SHM_SEL = 0x0ac;
    static final int REG_SHM_LEN_LOW = 0x0b0;
    static final int REG_SHM_LEN_HIGH = 0x0b4;
    static final int REG_SHM_BASE_LOW = 0x0b8;
    static final int REG_SHM_BASE_HIGH = 0x0bc;
    static final int REG_CONFIG_GENERATION = 0x0fc;
    static final int REG_CONFIG = 0x100;

    private static final int STATUS_BITS = DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.DRIVER_OK
            | DeviceStatus.FEATURES_OK | DeviceStatus.FAILED;

    private final Object lock = new Object();
    private final VirtioDevice device;
    private final GuestMemory memory;
    private final InterruptLine irq;
    private final VirtioObserver observer;
    private final Virtqueue[] queues;
    private final FeatureNegotiation features;
    private final Context context = new Context();

    private int status;
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private int queueSel;
    private int interruptStatus;
    private long hostFaults;

    /**
     * Creates a transport with no observer.
     *
     * @param device the device
     * @param memory the guest's memory, where the queues live
     * @param irq    the line to raise; {@link InterruptLine#NONE} for a polling guest
     */
    public VirtioMmioTransport(VirtioDevice device, GuestMemory memory, InterruptLine irq) {
        this(device, memory, irq, VirtioObserver.NONE);
    }

    /**
     * Creates a transport.
     *
     * @param device   the device
     * @param memory   the guest's memory, where the queues live
     * @param irq      the line to raise; {@link InterruptLine#NONE} for a polling guest
     * @param observer told about notifications, interrupts, processed chains and device errors
     */
    public VirtioMmioTransport(VirtioDevice device, GuestMemory memory, InterruptLine irq, VirtioObserver observer) {
        this(device, memory, irq, observer, 0);
    }

    /**
     * Creates a transport that withholds some of its features, to compare a driver's behaviour with
     * and without them (VIRTIO_F_EVENT_IDX, say).
     *
     * @param device   the device
     * @param memory   the guest's memory, where the queues live
     * @param irq      the line to raise; {@link InterruptLine#NONE} for a polling guest
     * @param observer told about notifications, interrupts, processed chains and device errors
     * @param withheld feature bits not to offer ({@link VirtioFeatures#bit}); VERSION_1 cannot be withheld
     */
    public VirtioMmioTransport(VirtioDevice device, GuestMemory memory, InterruptLine irq, VirtioObserver observer,
                               long withheld) {
        if ((withheld & VirtioFeatures.bit(VirtioFeatures.VERSION_1)) != 0) {
            throw new IllegalArgumentException("VIRTIO_F_VERSION_1 is what a virtio-mmio version 2 device is");
        }
        this.device = Objects.requireNonNull(device, "device");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.irq = Objects.requireNonNull(irq, "irq");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.queues = new Virtqueue[device.queueCount()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new Virtqueue(device.queueMaxSize(i));
        }
        this.features = new FeatureNegotiation(device.features(), withheld);
    }

    /** {@return the device behind this transport} */
    public VirtioDevice device() {
        return device;
    }

    /** {@return the device status byte} */
    public int status() {
        synchronized (lock) {
            return status;
        }
    }

    /** {@return the interrupt status: bit 0 used ring, bit 1 config change} */
    public int interruptStatus() {
        synchronized (lock) {
            return interruptStatus;
        }
    }

    /**
     * How often the device failed for a reason that is not the guest's: an exception other than a
     * {@link VirtqueueException} or {@link GuestMemoryException} from the device. Each one also set
     * DEVICE_NEEDS_RESET and was logged as a warning; a correct device keeps this at 0 whatever the
     * guest does.
     *
     * @return the count since the transport was created
     */
    public long hostFaults() {
        synchronized (lock) {
            return hostFaults;
        }
    }

    /** {@return the features the driver accepted (meaningful once FEATURES_OK is set)} */
    public long negotiatedFeatures() {
        synchronized (lock) {
            return features.accepted();
        }
    }

    @Override
    public long read(long offset, int size) {
        synchronized (lock) {
            if (offset >= REG_CONFIG && offset < SIZE) {
                return readConfig((int) (offset - REG_CONFIG), size);
            }
            if (size != 4 || (offset & 3) != 0) {
                guestError("read of {0} bytes at register 0x{1}: registers are 32-bit", size, Long.toHexString(offset));
                return 0;
            }
            return Integer.toUnsignedLong(readRegister((int) offset));
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        synchronized (lock) {
            if (offset >= REG_CONFIG && offset < SIZE) {
                writeConfig((int) (offset - REG_CONFIG), size, value);
                return;
            }
            if (size != 4 || (offset & 3) != 0) {
                guestError("write of {0} bytes at register 0x{1}: registers are 32-bit", size, Long.toHexString(offset));
                return;
            }
            writeRegister((int) offset, (int) value);
        }
    }

    private int readRegister(int offset) {
        return switch (offset) {
            case REG_MAGIC -> MAGIC_VALUE;
            case REG_VERSION -> VERSION;
            case REG_DEVICE_ID -> device.deviceId();
            case REG_VENDOR_ID -> VENDOR_ID;
            case REG_DEVICE_FEATURES -> features.offeredWord(deviceFeaturesSel);
            case REG_QUEUE_NUM_MAX -> selectedQueue() == null ? 0 : selectedQueue().maxSize();
            case REG_QUEUE_READY -> selectedQueue() != null && selectedQueue().isReady() ? 1 : 0;
            case REG_INTERRUPT_STATUS -> interruptStatus;
            case REG_STATUS -> status;
            // No shared memory regions: a length of all ones means "no such region".
            case REG_SHM_LEN_LOW, REG_SHM_LEN_HIGH -> -1;
            case REG_SHM_BASE_LOW, REG_SHM_BASE_HIGH -> -1;
            case REG_CONFIG_GENERATION -> device.configGeneration();
            default -> {
                guestError("read of write-only or unknown register 0x{0}", Integer.toHexString(offset));
                yield 0;
            }
        };
    }

    private void writeRegister(int offset, int value) {
        switch (offset) {
            case REG_DEVICE_FEATURES_SEL -> deviceFeaturesSel = value;
            case REG_DRIVER_FEATURES -> writeDriverFeatures(value);
            case REG_DRIVER_FEATURES_SEL -> driverFeaturesSel = value;
            case REG_QUEUE_SEL -> queueSel = value;
            case REG_QUEUE_NUM -> {
                Virtqueue q = queueForSetup();
                if (q != null) {
                    q.setSize(value);
                }
            }
            case REG_QUEUE_READY -> writeQueueReady(value);
            case REG_QUEUE_NOTIFY -> notifyQueue(value);
            case REG_INTERRUPT_ACK -> acknowledge(value);
            case REG_STATUS -> writeStatus(value);
            case REG_QUEUE_DESC_LOW, REG_QUEUE_DESC_HIGH -> {
                Virtqueue q = queueForSetup();
                if (q != null) {
                    q.setDescriptorTable(half(q.descriptorTable(), offset == REG_QUEUE_DESC_HIGH, value));
                }
            }
            case REG_QUEUE_DRIVER_LOW, REG_QUEUE_DRIVER_HIGH -> {
                Virtqueue q = queueForSetup();
                if (q != null) {
                    q.setAvailRing(half(q.availRing(), offset == REG_QUEUE_DRIVER_HIGH, value));
                }
            }
            case REG_QUEUE_DEVICE_LOW, REG_QUEUE_DEVICE_HIGH -> {
                Virtqueue q = queueForSetup();
                if (q != null) {
                    q.setUsedRing(half(q.usedRing(), offset == REG_QUEUE_DEVICE_HIGH, value));
                }
            }
            case REG_SHM_SEL -> { }
            default -> guestError("write of read-only or unknown register 0x{0}", Integer.toHexString(offset));
        }
    }

    private static long half(long old, boolean high, int value) {
        long v = Integer.toUnsignedLong(value);
        return high ? (old & 0xFFFF_FFFFL) | (v << 32) : (old & 0xFFFF_FFFF_0000_0000L) | v;
    }

    private Virtqueue selectedQueue() {
        return Integer.compareUnsigned(queueSel, queues.length) < 0 ? queues[queueSel] : null;
    }

    /** The selected queue if the driver may configure queues now (after FEATURES_OK, before DRIVER_OK). */
    private Virtqueue queueForSetup() {
        Virtqueue q = selectedQueue();
        if (q == null) {
            guestError("queue register written with QueueSel {0} but the device has {1} queues",
                    Integer.toUnsignedString(queueSel), queues.length);
            return null;
        }
        if ((status & DeviceStatus.FEATURES_OK) == 0 || (status & (DeviceStatus.DRIVER_OK | DeviceStatus.FAILED)) != 0) {
            guestError("queue register written in status 0x{0}", Integer.toHexString(status));
            return null;
        }
        return q;
    }

    private void writeQueueReady(int value) {
        Virtqueue q = queueForSetup();
        if (q == null) {
            return;
        }
        if (value == 1) {
            q.enable(memory, VirtioFeatures.has(features.accepted(), VirtioFeatures.RING_EVENT_IDX),
                    VirtioFeatures.has(features.accepted(), VirtioFeatures.INDIRECT_DESC));
        } else if (value == 0) {
            int size = q.size();
            q.reset();
            q.setSize(size);
        } else {
            guestError("QueueReady written with {0}", Integer.toUnsignedString(value));
        }
    }

    private void writeDriverFeatures(int value) {
        if ((status & DeviceStatus.DRIVER) == 0 || (status & DeviceStatus.FEATURES_OK) != 0) {
            guestError("DriverFeatures written in status 0x{0}", Integer.toHexString(status));
            return;
        }
        features.acceptWord(driverFeaturesSel, value);
    }

    private void acknowledge(int value) {
        interruptStatus &= ~value;
        if (interruptStatus == 0) {
            irq.lower();
        }
    }

    private void writeStatus(int value) {
        if (value == 0) {
            reset();
            return;
        }
        int requested = value & STATUS_BITS;
        if (requested != value) {
            guestError("status write 0x{0} sets bits a driver may not set", Integer.toHexString(value));
            return;
        }
        int current = status & STATUS_BITS;
        if ((requested & current) != current) {
            guestError("status write 0x{0} clears bits of 0x{1} without a reset", Integer.toHexString(value),
                    Integer.toHexString(status));
            return;
        }
        int added = requested & ~current;
        if ((added & DeviceStatus.DRIVER) != 0 && (requested & DeviceStatus.ACKNOWLEDGE) == 0
                || (added & DeviceStatus.FEATURES_OK) != 0 && (requested & DeviceStatus.DRIVER) == 0
                || (added & DeviceStatus.DRIVER_OK) != 0 && (requested & DeviceStatus.FEATURES_OK) == 0) {
            guestError("status write 0x{0} out of order after 0x{1}", Integer.toHexString(value), Integer.toHexString(status));
            return;
        }
        String refusal = (added & DeviceStatus.FEATURES_OK) != 0 ? features.refusal() : null;
        if (refusal != null) {
            // The driver reads the status back and finds FEATURES_OK missing (VIRTIO 1.2, 3.1.1).
            guestError("FEATURES_OK refused: {0}", refusal);
            status |= added & ~(DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK);
            return;
        }
        status |= added;
        if ((added & DeviceStatus.DRIVER_OK) != 0 && (status & DeviceStatus.FAILED) == 0) {
            try {
                device.activate(context);
            } catch (RuntimeException e) {
                deviceError("activation failed: " + e.getMessage(), e);
            }
        }
    }

    private void reset() {
        device.reset();
        for (Virtqueue q : queues) {
            q.reset();
        }
        status = 0;
        deviceFeaturesSel = 0;
        driverFeaturesSel = 0;
        features.reset();
        queueSel = 0;
        interruptStatus = 0;
        irq.lower();
    }

    private long readConfig(int offset, int size) {
        if (!configAccessFits(offset, size)) {
            guestError("config read of {0} bytes at 0x{1} past config size {2}", size, Integer.toHexString(offset),
                    device.configSize());
            return 0;
        }
        return device.readConfig(offset, size);
    }

    private void writeConfig(int offset, int size, long value) {
        if (!configAccessFits(offset, size)) {
            guestError("config write of {0} bytes at 0x{1} past config size {2}", size, Integer.toHexString(offset),
                    device.configSize());
            return;
        }
        device.writeConfig(offset, size, value);
    }

    private boolean configAccessFits(int offset, int size) {
        return (size == 1 || size == 2 || size == 4 || size == 8) && offset + size <= device.configSize();
    }

    /**
     * Runs the device for {@code queue} as if the driver had written QueueNotify. The machine
     * calls this from the thread draining a KVM ioeventfd registered for QueueNotify; a vCPU's
     * QueueNotify write calls it too. Notifications for a queue that does not exist or is not
     * ready, or before DRIVER_OK, are logged and dropped.
     *
     * @param queue queue index
     */
    public void notifyQueue(int queue) {
        synchronized (lock) {
            if ((status & DeviceStatus.DRIVER_OK) == 0
                    || (status & (DeviceStatus.DEVICE_NEEDS_RESET | DeviceStatus.FAILED)) != 0) {
                // A notify storm on a dead device must not allocate per kick: format only when logged.
                if (Log.LOG.isLoggable(Level.DEBUG)) {
                    guestError("notify of queue {0} in status 0x{1}", Integer.toUnsignedString(queue), Integer.toHexString(status));
                }
                return;
            }
            if (Integer.compareUnsigned(queue, queues.length) >= 0 || !queues[queue].isReady()) {
                if (Log.LOG.isLoggable(Level.DEBUG)) {
                    guestError("notify of queue {0}, which is not ready", Integer.toUnsignedString(queue));
                }
                return;
            }
            observer.queueNotified(queue);
            try {
                device.queueNotified(queue);
            } catch (VirtqueueException | GuestMemoryException e) {
                deviceError("queue " + queue + ": " + e.getMessage(), null);
            } catch (RuntimeException e) {
                deviceError("queue " + queue + ": device failed: " + e, e);
            }
        }
    }

    private void deviceError(String message, Throwable hostFault) {
        if (hostFault == null) {
            guestError("device {0} needs reset: {1}", device.deviceId(), message);
        } else {
            hostFaults++;
            Log.LOG.log(Level.WARNING, "virtio device " + device.deviceId() + " needs reset: " + message, hostFault);
        }
        observer.deviceError(message);
        status |= DeviceStatus.DEVICE_NEEDS_RESET;
        if ((status & DeviceStatus.DRIVER_OK) != 0) {
            interrupt(INT_CONFIG);
        }
    }

    private void interrupt(int bits) {
        interruptStatus |= bits;
        irq.raise();
        observer.interruptRaised(interruptStatus);
    }

    private static void guestError(String format, Object... args) {
        if (Log.LOG.isLoggable(Level.DEBUG)) {
            Log.LOG.log(Level.DEBUG, "virtio-mmio: " + format + "; ignored", args);
        }
    }

    private final class Context implements VirtioContext {
        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public Virtqueue queue(int index) {
            return queues[index];
        }

        @Override
        public long features() {
            return features.accepted();
        }

        @Override
        public void addUsed(int queue, int head, int written, long bytes) {
            queues[queue].addUsed(head, written);
            observer.chainProcessed(queue, bytes);
        }

        @Override
        public void signalUsed(int queue) {
            if (queues[queue].needsInterrupt()) {
                interrupt(INT_USED_RING);
            }
        }

        @Override
        public void kick(int queue) {
            notifyQueue(queue);
        }

        @Override
        public void configChanged() {
            synchronized (lock) {
                if ((status & DeviceStatus.DRIVER_OK) != 0) {
                    interrupt(INT_CONFIG);
                }
            }
        }
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(VirtioMmioTransport.class.getName());
    }
}
