package org.jvmm.cli.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@code --jfr-threshold}: the durations it takes and the ones it refuses. */
class JfrThresholdTest {

    @Test
    void zeroRecordsEverything() {
        assertEquals(0, JfrTracing.parseThreshold("0"));
        assertEquals(0, JfrTracing.parseThreshold("0 ns"));
        assertEquals(0, JfrTracing.parseThreshold("0ms"));
    }

    @Test
    void unitsWithOrWithoutSpaceAsJfrWritesThem() {
        assertEquals(500, JfrTracing.parseThreshold("500ns"));
        assertEquals(100_000, JfrTracing.parseThreshold("100us"));
        assertEquals(100_000, JfrTracing.parseThreshold("100 us"));
        assertEquals(20_000_000, JfrTracing.parseThreshold("20 ms"));
        assertEquals(1_500_000_000, JfrTracing.parseThreshold("1.5s"));
        assertEquals(2_500, JfrTracing.parseThreshold("2.5US"));
    }

    @Test
    void defaultIsHundredMicroseconds() {
        assertEquals(JfrTracing.parseThreshold("100us"), JfrTracing.DEFAULT_THRESHOLD_NANOS);
    }

    @Test
    void refusesWhatIsNotADuration() {
        assertThrows(IllegalArgumentException.class, () -> JfrTracing.parseThreshold("10"));
        assertThrows(IllegalArgumentException.class, () -> JfrTracing.parseThreshold("fast"));
        assertThrows(IllegalArgumentException.class, () -> JfrTracing.parseThreshold("us"));
        assertThrows(IllegalArgumentException.class, () -> JfrTracing.parseThreshold("-1ms"));
        assertThrows(IllegalArgumentException.class, () -> JfrTracing.parseThreshold("NaN ms"));
        assertThrows(IllegalArgumentException.class, () -> JfrTracing.parseThreshold("Infinity s"));
    }
}
