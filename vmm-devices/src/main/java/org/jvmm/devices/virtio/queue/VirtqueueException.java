package org.jvmm.devices.virtio.queue;

/**
 * The guest put something invalid in a virtqueue: a descriptor loop, an index out of range, a
 * nested indirect table, a chain a device cannot make sense of. A transport that catches it marks
 * the device as needing a reset; it never means host state was damaged.
 */
public final class VirtqueueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what the guest did wrong
     */
    public VirtqueueException(String message) {
        super(message);
    }
}
