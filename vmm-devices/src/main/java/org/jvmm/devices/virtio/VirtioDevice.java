package org.jvmm.devices.virtio;

/**
 * A virtio device, independent of its transport (VIRTIO 1.2, section 5). The transport owns the
 * queues and the status state machine; the device says what it offers and does the work.
 *
 * <p>All methods are called by the transport with its lock held, so a device needs no locking
 * of its own for state touched only from here. Config reads and writes arrive already bounds
 * checked against {@link #configSize}. A device reports a guest error by throwing
 * {@link org.jvmm.devices.virtio.queue.VirtqueueException} (or letting a
 * {@link org.jvmm.core.memory.GuestMemoryException} escape) from {@link #queueNotified}; the
 * transport then sets DEVICE_NEEDS_RESET.
 */
public interface VirtioDevice {

    /** {@return the virtio device id (2 block, 3 console, 4 entropy, ...)} */
    int deviceId();

    /**
     * The device-specific feature bits offered; the transport adds
     * {@link VirtioFeatures#TRANSPORT_FEATURES}.
     *
     * @return the feature bits
     */
    long features();

    /** {@return the number of virtqueues} */
    int queueCount();

    /**
     * The largest size a queue may have.
     *
     * @param queue queue index
     * @return a power of two
     */
    int queueMaxSize(int queue);

    /** {@return the size of the device's configuration space in bytes} */
    int configSize();

    /**
     * Reads the configuration space, little-endian.
     *
     * @param offset offset into the configuration space; {@code offset + size <= configSize()}
     * @param size   1, 2, 4 or 8
     * @return the value
     */
    long readConfig(int offset, int size);

    /**
     * A driver write to the configuration space. Most fields are read-only; the default ignores it.
     *
     * @param offset offset into the configuration space; {@code offset + size <= configSize()}
     * @param size   1, 2, 4 or 8
     * @param value  the value, little-endian
     */
    default void writeConfig(int offset, int size, long value) {}

    /**
     * The configuration generation: changes whenever the configuration space changes, so the
     * driver can detect torn reads of multi-field configs. The default never changes.
     *
     * @return the generation
     */
    default int configGeneration() {
        return 0;
    }

    /**
     * The driver set DRIVER_OK: start working.
     *
     * @param context memory, queues, negotiated features and signalling
     */
    void activate(VirtioContext context);

    /**
     * The driver made buffers available on a ready queue (or a host thread {@link VirtioContext#kick kicked} it).
     *
     * @param queue queue index
     */
    void queueNotified(int queue);

    /** The driver reset the device: forget all guest state. Host-side resources stay open. */
    void reset();
}
