package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ACPI power ports byte by byte: what each port reads, and which byte of a wide write stops the machine. */
class PowerPortsTest {

    private final List<StopCause.Kind> stops = new ArrayList<>();
    private final PowerPorts ports = new PowerPorts(cause -> stops.add(cause.kind()));

    @Test
    void theThreePortsReadZeroAndPortsPastThemAllOnes() {
        assertEquals(0, ports.read(0, 1));
        assertEquals(0, ports.read(2, 1));
        assertEquals(0, ports.read(0, 2));
        assertEquals(0xff00_0000L, ports.read(0, 4), "0x603 is not a power port");
        assertEquals(0xffff_ff00L, ports.read(2, 4));
    }

    @Test
    void aPowerOffOrResetInAnyByteOfAWideWriteStopsTheMachine() {
        ports.write(0, 1, 0x14); // SLP_TYP 5 without SLP_EN
        ports.write(1, 1, 0x01); // the status port
        ports.write(0, 2, 0x0100); // 0x01 on the status port
        ports.write(2, 4, 0x0101_0100L); // 0x00 on the reset port; the rest past the block
        assertEquals(List.of(), stops);
        ports.write(1, 2, 0x0100); // 0x01 on the reset port
        assertEquals(List.of(StopCause.Kind.RESET), stops);
        ports.write(0, 4, 0x0001_0034L); // power-off first, then the reset byte is not written
        assertEquals(List.of(StopCause.Kind.RESET, StopCause.Kind.POWER_OFF), stops);
        ports.write(0, 4, 0x0001_0000L); // 0x01 in the third byte: a reset
        assertEquals(List.of(StopCause.Kind.RESET, StopCause.Kind.POWER_OFF, StopCause.Kind.RESET), stops);
    }
}
