package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ExitReasonTest {

    @Test
    void knownCodesDecodeToTheirReason() {
        for (ExitReason reason : ExitReason.values()) {
            if (reason != ExitReason.UNSUPPORTED) {
                assertSame(reason, ExitReason.of(reason.code()));
            }
        }
        assertSame(ExitReason.IO, ExitReason.of(2));
        assertSame(ExitReason.MMIO, ExitReason.of(6));
        assertSame(ExitReason.SHUTDOWN, ExitReason.of(8));
    }

    @Test
    void unknownCodesAreUnsupportedNotACrash() {
        for (int code : new int[] {-1, -100, 13, 14, 15, 63, 64, 1000, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            assertSame(ExitReason.UNSUPPORTED, ExitReason.of(code), "code " + code);
        }
        assertEquals("unsupported 1000", ExitReason.describe(1000));
        assertEquals("HLT", ExitReason.describe(5));
    }
}
