package org.jvmm.devices.virtio;

/**
 * What a transport reports about its device, for metrics and events. Methods are called with the
 * transport's lock held, on the thread doing the work, so implementations must be quick and must
 * not call back into the transport. All methods default to doing nothing.
 */
public interface VirtioObserver {

    /** An observer that ignores everything. */
    VirtioObserver NONE = new VirtioObserver() {};

    /**
     * The driver notified a ready queue (a QueueNotify write or an ioeventfd).
     *
     * @param queue queue index
     */
    default void queueNotified(int queue) {}

    /**
     * The transport raised its interrupt line.
     *
     * @param interruptStatus the interrupt status after raising: bit 0 used buffers, bit 1 config change
     */
    default void interruptRaised(int interruptStatus) {}

    /**
     * The device returned a chain to the driver.
     *
     * @param queue queue index
     * @param bytes payload bytes the device moved for the chain (read or written)
     */
    default void chainProcessed(int queue, long bytes) {}

    /**
     * The device stopped on a guest error and now needs a reset.
     *
     * @param message what went wrong
     */
    default void deviceError(String message) {}
}
