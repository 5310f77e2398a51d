package org.jvmm.devices.debug;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.devices.control.VmControl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DebugExitTest {

    private static final class Recorder implements VmControl {
        final List<Integer> exits = new ArrayList<>();
        int resets;

        @Override
        public void requestReset() {
            resets++;
        }

        @Override
        public void requestExit(int status) {
            exits.add(status);
        }
    }

    /** Where the test puts it (jvmm's machine too, as QEMU does). */
    private static final long PORT = 0xf4;

    private final Recorder control = new Recorder();
    private final Bus bus = new Bus("pio");

    DebugExitTest() {
        bus.register("debug-exit", new AddressRange(PORT, DebugExit.PORTS), new DebugExit(control));
    }

    /** What a guest's {@code out} of {@code size} bytes makes jvmm exit with. */
    private int exitAfter(int size, long value) {
        control.exits.clear();
        bus.write(PORT, size, value);
        assertEquals(1, control.exits.size(), "one write, one exit request");
        return control.exits.get(0);
    }

    /**
     * QEMU's isa-debug-exit calls {@code exit((v << 1) | 1)} and the OS keeps the low 8 bits: the
     * status depends on bits 6:0 of v only and is odd, so a guest can never exit with 0.
     */
    @ParameterizedTest(name = "out{0} 0x{1} -> {2}")
    @CsvSource({
            "4, 0, 1", "4, 7f, 255", "4, 80, 1", "4, ff, 255", "4, 3fffffff, 255", "4, 40000000, 1",
            "4, 40000001, 3", "4, 7fffffff, 255", "4, 80000000, 1", "4, ffffffff, 255", "4, 21, 67",
            "2, 0, 1", "2, 7f, 255", "2, 80, 1", "2, ffff, 255", "2, 1234, 105",
            "1, 0, 1", "1, 7f, 255", "1, 80, 1", "1, ff, 255", "1, 10, 33"})
    void theStatusIsTheLowByteOfTwiceTheValuePlusOne(int size, String hex, int expected) {
        long value = Long.parseLong(hex, 16);
        int status = exitAfter(size, value);
        assertEquals(expected, status);
        assertEquals(((value << 1) | 1) & 0xff, status, "QEMU's exit((v << 1) | 1), low 8 bits");
    }

    @Test
    void everyValueGivesAnOddStatusOfOneByte() {
        for (long v = 0; v <= 0x1_0000_0000L; v += 0x0100_0001L) {
            for (long value : new long[] {v, v ^ 0x80, v | 0x7f, v & ~0x7fL, -v}) {
                int status = DebugExit.status(value);
                assertTrue(status >= 1 && status <= 255, "0x" + Long.toHexString(value) + " -> " + status);
                assertEquals(1, status & 1, "odd: only a guest that never debug-exits passes with 0");
            }
        }
    }

    @Test
    void readsAreAllOnesAndNothingResets() {
        assertEquals(0xff, bus.read(PORT, 1));
        assertEquals(0xffff, bus.read(PORT, 2));
        assertEquals(0xffff_ffffL, bus.read(PORT, 4));
        assertEquals(List.of(), control.exits);
        assertEquals(0, control.resets);
    }
}
