package org.jvmm.devices.virtio;

/** Bits of the device status field (VIRTIO 1.2, section 2.1). */
public final class DeviceStatus {
    private DeviceStatus() {}

    /** The guest found the device. */
    public static final int ACKNOWLEDGE = 1;
    /** The guest knows how to drive it. */
    public static final int DRIVER = 2;
    /** The driver is set up and ready to drive the device. */
    public static final int DRIVER_OK = 4;
    /** Feature negotiation is complete. */
    public static final int FEATURES_OK = 8;
    /** The device hit an error it cannot recover from without a reset. */
    public static final int DEVICE_NEEDS_RESET = 64;
    /** The driver gave up on the device. */
    public static final int FAILED = 128;
}
