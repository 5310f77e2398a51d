package org.jvmm.devices.virtio;

/**
 * Feature negotiation (VIRTIO 1.2, sections 2.2 and 3.1.1), the same on every transport: the bits
 * offered (the device's own plus {@link VirtioFeatures#TRANSPORT_FEATURES}), the bits the driver
 * accepts, 32 at a time through a selector as transports present them, and whether the driver's
 * choice may be taken at FEATURES_OK. The transport decides when the driver may write; this
 * records what it wrote. Not thread-safe: the transport serialises calls.
 */
public final class FeatureNegotiation {

    private final long offered;
    private long accepted;
    /** The driver set a bit in a feature word past 63, which nothing offers. */
    private boolean beyondSixtyFour;

    /**
     * Creates the negotiation of one device.
     *
     * @param deviceFeatures the device-specific bits it offers
     */
    public FeatureNegotiation(long deviceFeatures) {
        this(deviceFeatures, 0);
    }

    /**
     * Creates the negotiation of one device that withholds some bits, to compare a driver with and
     * without them (VIRTIO_F_EVENT_IDX, say).
     *
     * @param deviceFeatures the device-specific bits it offers
     * @param withheld       bits not to offer, device-specific or the transport's
     */
    public FeatureNegotiation(long deviceFeatures, long withheld) {
        this.offered = (deviceFeatures | VirtioFeatures.TRANSPORT_FEATURES) & ~withheld;
    }

    /** {@return every bit offered} */
    public long offered() {
        return offered;
    }

    /**
     * One 32-bit word of the offered bits.
     *
     * @param select the word: 0 for bits 0-31, 1 for 32-63; others read 0
     * @return the word
     */
    public int offeredWord(int select) {
        return switch (select) {
            case 0 -> (int) offered;
            case 1 -> (int) (offered >>> 32);
            default -> 0;
        };
    }

    /**
     * The driver writes one 32-bit word of the bits it accepts.
     *
     * @param select the word: 0 for bits 0-31, 1 for 32-63; a non-zero word past those is remembered
     *               and makes the choice unacceptable
     * @param value  the word
     */
    public void acceptWord(int select, int value) {
        switch (select) {
            case 0 -> accepted = (accepted & 0xFFFF_FFFF_0000_0000L) | Integer.toUnsignedLong(value);
            case 1 -> accepted = (accepted & 0xFFFF_FFFFL) | (Integer.toUnsignedLong(value) << 32);
            default -> beyondSixtyFour |= value != 0;
        }
    }

    /** {@return the bits the driver accepted so far (the negotiated set once FEATURES_OK holds)} */
    public long accepted() {
        return accepted;
    }

    /**
     * Why the driver's choice cannot be taken at FEATURES_OK, or null if it can: it must accept
     * only offered bits, and VIRTIO_F_VERSION_1 (jvmm's devices have no legacy interface).
     *
     * @return the reason, for a debug log, or null
     */
    public String refusal() {
        if (beyondSixtyFour || (accepted & ~offered) != 0) {
            return "driver accepted 0x" + Long.toHexString(accepted) + (beyondSixtyFour ? " and bits past 63" : "")
                    + ", device offered 0x" + Long.toHexString(offered);
        }
        if (!VirtioFeatures.has(accepted, VirtioFeatures.VERSION_1)) {
            return "driver did not accept VIRTIO_F_VERSION_1";
        }
        return null;
    }

    /** Forgets what the driver accepted (a device reset). */
    public void reset() {
        accepted = 0;
        beyondSixtyFour = false;
    }
}
