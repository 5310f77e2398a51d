package org.jvmm.devices.i8042;

import static org.junit.jupiter.api.Assertions.*;

import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.devices.control.VmControl;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class I8042Test {
    private int resets;
    private int exits;
    private Bus bus;

    @BeforeEach
    void setUp() {
        VmControl control = new VmControl() {
            @Override
            public void requestReset() {
                resets++;
            }

            @Override
            public void requestExit(int status) {
                exits++;
            }
        };
        bus = new Bus("pio");
        bus.register("i8042", new AddressRange(0x60, I8042.PORTS), new I8042(control));
    }

    @Test
    void statusSaysNoDataAndInputBufferEmpty() {
        long status = bus.read(0x64, 1);
        assertEquals(0, status & 0x01, "output buffer empty");
        assertEquals(0, status & 0x02, "input buffer empty");
        assertEquals(0, bus.read(0x60, 1));
        assertEquals(0xff, bus.read(0x61, 1), "ports between data and status are not decoded");
    }

    @Test
    void command0xfePulsesResetOnce() {
        bus.write(0x64, 1, 0xfe);
        assertEquals(1, resets);
        assertEquals(0, exits);
    }

    @Test
    void otherCommandsAndDataWritesAreIgnored() {
        for (int command = 0; command < 0xf0; command++) {
            bus.write(0x64, 1, command);
        }
        bus.write(0x64, 1, 0xff); // pulses no line
        bus.write(0x60, 1, 0xfe); // data, not a command
        bus.write(0x61, 1, 0xfe);
        assertEquals(0, resets);
        assertEquals(0x04, bus.read(0x64, 1), "status unchanged");
    }

    @Test
    void everyPulseCommandThatIncludesTheResetLineResets() {
        for (int command = 0xf0; command <= 0xff; command++) {
            bus.write(0x64, 1, command);
        }
        assertEquals(8, resets, "the even commands 0xf0-0xfe have bit 0 clear");
    }
    @Test
    void wideAccessesAreOneByteAccessPerPort() {
        assertEquals(0xff00L, bus.read(0x60, 2), "data 0, then 0x61 undecoded");
        assertEquals(0x04ff_ffffL, bus.read(0x61, 4), "status in the top byte");
        assertEquals(0xffff_ff04L, bus.read(0x64, 4), "past the range: all ones");
        bus.write(0x64, 2, 0xfe00); // the command byte is 0x00
        bus.write(0x62, 2, 0xfe00); // 0xfe lands on 0x63
        assertEquals(0, resets);
        bus.write(0x63, 2, 0xfe00); // 0xfe lands on 0x64
        assertEquals(1, resets);
        bus.write(0x61, 4, 0xf2_000000L); // 0xf2 on 0x64: pulses the reset line too
        assertEquals(2, resets);
        bus.write(0x64, 4, 0x0000_00f1L); // 0xf1 leaves it alone
        assertEquals(2, resets);
    }
}
