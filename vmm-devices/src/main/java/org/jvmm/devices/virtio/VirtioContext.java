package org.jvmm.devices.virtio;

import org.jvmm.core.memory.GuestMemory;
import org.jvmm.devices.virtio.queue.Virtqueue;

/**
 * What a transport gives an activated device: guest memory, its queues, the negotiated features
 * and the ways to signal the driver. The device calls it only from within
 * {@link VirtioDevice#queueNotified} (where the transport's lock is held), except for
 * {@link #kick} and {@link #configChanged}, which any thread may call.
 */
public interface VirtioContext {

    /** {@return the guest's memory} */
    GuestMemory memory();

    /**
     * A queue of the device.
     *
     * @param index queue index, below {@link VirtioDevice#queueCount}
     * @return the queue; check {@link Virtqueue#isReady} before use
     */
    Virtqueue queue(int index);

    /** {@return the features the driver accepted} */
    long features();

    /**
     * Returns a chain to the driver and reports it to the observer.
     *
     * @param queue   queue index
     * @param head    the chain's head index
     * @param written bytes the device wrote into the chain's writable buffers
     * @param bytes   payload bytes the device moved, for metrics
     */
    void addUsed(int queue, int head, int written, long bytes);

    /**
     * Interrupts the guest if the driver wants to hear about the chains returned on {@code queue}
     * since the last call. Call once after a batch of {@link #addUsed}.
     *
     * @param queue queue index
     */
    void signalUsed(int queue);

    /**
     * Processes {@code queue} again as if the driver had notified it, from a host thread (input
     * arrived for a receive queue). Takes the transport's lock; ignored unless the device is live.
     *
     * @param queue queue index
     */
    void kick(int queue);

    /** Tells the driver the configuration space changed: a config-change interrupt, if the device is live. */
    void configChanged();
}
