package org.jvmm.devices.debug;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.devices.control.VmControl;
import org.junit.jupiter.api.Test;

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

    @Test
    void aWriteOfAnySizeExitsWithTwiceTheValuePlusOne() {
        Recorder control = new Recorder();
        Bus bus = new Bus("pio");
        bus.register("debug-exit", new AddressRange(0xf4, DebugExit.PORTS), new DebugExit(control));
        bus.write(0xf4, 1, 0);
        bus.write(0xf4, 1, 0x10);
        bus.write(0xf4, 2, 0x1234);
        bus.write(0xf4, 4, 0x7f);
        bus.write(0xf4, 1, 0x1ff); // only the low byte of a one-byte write counts
        assertEquals(List.of(1, 0x21, 0x2469, 0xff, 0x1ff), control.exits);
        assertEquals(0, control.resets);
        assertEquals(0xff, bus.read(0xf4, 1), "reads are all ones");
    }

    @Test
    void statusEncoding() {
        assertEquals(1, DebugExit.status(0, 1));
        assertEquals(3, DebugExit.status(1, 4));
        assertEquals(0x1fe + 1, DebugExit.status(0xff, 1));
        assertEquals(1, DebugExit.status(0x100, 1));
        assertEquals(-1, DebugExit.status(0xffff_ffffL, 4), "(v << 1) | 1 truncated to 32 bits");
    }
}
