package org.jvmm.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FeatureNegotiationTest {

    private static final long DEVICE = VirtioFeatures.bit(0) | VirtioFeatures.bit(5);

    private static void accept(FeatureNegotiation n, long bits) {
        n.acceptWord(0, (int) bits);
        n.acceptWord(1, (int) (bits >>> 32));
    }

    @Test
    void theTransportBitsAreOfferedBesideTheDevicesWordByWord() {
        FeatureNegotiation n = new FeatureNegotiation(DEVICE);
        assertEquals(DEVICE | VirtioFeatures.TRANSPORT_FEATURES, n.offered());
        assertEquals((int) n.offered(), n.offeredWord(0));
        assertEquals(1, n.offeredWord(1), "VERSION_1 is bit 32");
        assertEquals(0, n.offeredWord(2));
        assertEquals(0, n.offeredWord(-1));
    }

    @Test
    void anOfferedSubsetWithVersionOneIsTaken() {
        FeatureNegotiation n = new FeatureNegotiation(DEVICE);
        long choice = VirtioFeatures.bit(5) | VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        accept(n, choice);
        assertNull(n.refusal());
        assertEquals(choice, n.accepted());
        n.acceptWord(0, 0);
        assertEquals(VirtioFeatures.bit(VirtioFeatures.VERSION_1), n.accepted(), "one word at a time");
    }

    @Test
    void unofferedBitsOrNoVersionOneAreRefusedUntilAReset() {
        FeatureNegotiation n = new FeatureNegotiation(DEVICE);
        accept(n, VirtioFeatures.bit(1) | VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        assertTrue(n.refusal().contains("device offered"), n.refusal());
        accept(n, VirtioFeatures.bit(0));
        assertTrue(n.refusal().contains("VERSION_1"), n.refusal());
        accept(n, VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        n.acceptWord(2, 1);
        assertTrue(n.refusal().contains("past 63"), n.refusal());
        n.acceptWord(2, 0);
        assertTrue(n.refusal() != null, "a bit past 63 once accepted stays until a reset");
        n.reset();
        assertEquals(0, n.accepted());
        accept(n, VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        assertNull(n.refusal());
    }
}
