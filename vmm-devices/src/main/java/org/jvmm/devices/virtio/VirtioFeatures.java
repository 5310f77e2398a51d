package org.jvmm.devices.virtio;

/**
 * Device-independent feature bits (VIRTIO 1.2, section 6) and helpers. Device-specific bits
 * (0 to 23) are defined beside each device.
 */
public final class VirtioFeatures {
    private VirtioFeatures() {}

    /** The driver may use indirect descriptor tables. */
    public static final int INDIRECT_DESC = 28;
    /** {@code used_event} / {@code avail_event} interrupt and notification suppression. */
    public static final int RING_EVENT_IDX = 29;
    /** The device is modern (VIRTIO 1.0 or later); FEATURES_OK is refused without it. */
    public static final int VERSION_1 = 32;
    /** The device sits behind an IOMMU or similar; jvmm never offers it. */
    public static final int ACCESS_PLATFORM = 33;
    /** The packed ring layout; jvmm never offers it. */
    public static final int RING_PACKED = 34;

    /** The bits every jvmm transport offers in addition to the device's own. */
    public static final long TRANSPORT_FEATURES = bit(INDIRECT_DESC) | bit(RING_EVENT_IDX) | bit(VERSION_1);

    /**
     * The mask of one feature bit.
     *
     * @param feature bit number, 0 to 63
     * @return {@code 1L << feature}
     */
    public static long bit(int feature) {
        return 1L << feature;
    }

    /**
     * Whether a feature set holds a bit.
     *
     * @param features the set
     * @param feature  bit number
     * @return true if set
     */
    public static boolean has(long features, int feature) {
        return (features & bit(feature)) != 0;
    }
}
