package org.jvmm.devices.virtio;

import java.util.Objects;

/**
 * The plumbing every virtio device repeats, written once: its identity (device id, offered
 * features, queue count and sizes), its {@link ConfigSpace}, and the context a transport hands it,
 * kept from {@link #activate} to {@link #reset} so that work arrives only while the driver has the
 * device live. A device passes its identity to the constructor, fills {@link #config}, and
 * implements {@link #process}: the work for one notified queue. Nothing here knows a transport.
 *
 * <p>Threads: the transport calls every {@link VirtioDevice} method with its lock held (see
 * there). Host threads (console input, a resize) reach the live context through
 * {@link #context()}, which is why it is volatile.
 */
public abstract class AbstractVirtioDevice implements VirtioDevice {

    private final int deviceId;
    private final long features;
    private final int[] queueMaxSizes;
    /** The device's configuration space; the transport reads it, the device fills it. */
    protected final ConfigSpace config;
    private volatile VirtioContext context;

    /**
     * Creates the device's shared part.
     *
     * @param deviceId      the virtio device id
     * @param features      the device-specific feature bits offered
     * @param config        the configuration space ({@link ConfigSpace#EMPTY} for none)
     * @param queueMaxSizes the largest size of each queue, one per queue: powers of two
     * @throws IllegalArgumentException if there is no queue
     */
    protected AbstractVirtioDevice(int deviceId, long features, ConfigSpace config, int... queueMaxSizes) {
        if (queueMaxSizes.length == 0) {
            throw new IllegalArgumentException("a virtio device has at least one queue");
        }
        this.deviceId = deviceId;
        this.features = features;
        this.config = Objects.requireNonNull(config, "config");
        this.queueMaxSizes = queueMaxSizes.clone();
    }

    @Override
    public final int deviceId() {
        return deviceId;
    }

    @Override
    public final long features() {
        return features;
    }

    @Override
    public final int queueCount() {
        return queueMaxSizes.length;
    }

    @Override
    public final int queueMaxSize(int queue) {
        return queueMaxSizes[queue];
    }

    @Override
    public final int configSize() {
        return config.size();
    }

    @Override
    public final long readConfig(int offset, int size) {
        return config.read(offset, size);
    }

    @Override
    public final int configGeneration() {
        return config.generation();
    }

    @Override
    public final void activate(VirtioContext newContext) {
        context = Objects.requireNonNull(newContext, "context");
    }

    /** Runs {@link #process} while the device is live; a notification after a reset is dropped. */
    @Override
    public final void queueNotified(int queue) {
        VirtioContext c = context;
        if (c != null) {
            process(c, queue);
        }
    }

    /** Forgets the context: the driver's queues and features are gone. Host-side state stays. */
    @Override
    public final void reset() {
        context = null;
    }

    /**
     * The work for a notified queue: pop its chains, serve them, return them and signal.
     *
     * @param context memory, queues, negotiated features and signalling of the live device
     * @param queue   the queue index, below {@link #queueCount}, ready
     */
    protected abstract void process(VirtioContext context, int queue);

    /** {@return the context while the device is live (after DRIVER_OK, until a reset), else null} */
    protected final VirtioContext context() {
        return context;
    }

    /** Tells a live driver that {@link #config} changed (a config-change interrupt); nothing before DRIVER_OK. */
    protected final void configChanged() {
        VirtioContext c = context;
        if (c != null) {
            c.configChanged();
        }
    }
}
