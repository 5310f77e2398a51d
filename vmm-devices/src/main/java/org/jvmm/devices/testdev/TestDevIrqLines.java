package org.jvmm.devices.testdev;

import java.util.List;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.irq.InterruptLine;

/**
 * The interrupt part of QEMU's {@code pc-testdev}: ports 0x2000-0x2017, one per interrupt line 0-23 (the
 * IOAPIC's pins; lines below 16 also reach the PIC). A one-byte write of {@code v} to port 0x2000 +
 * {@code n} raises line {@code n} if {@code v} is not 0 and lowers it otherwise, so a guest drives
 * level- and edge-triggered inputs as it likes (kvm-unit-tests' ioapic test does). A wider write is
 * taken byte by byte, byte k for port 0x2000 + {@code n} + k (bytes past line 23 dropped): QEMU's port
 * dispatch splits an access wider than a region takes (this one takes bytes only) into byte accesses
 * at consecutive ports, and kvm-unit-tests' realmode test raises line 11 with a 4-byte {@code outl}.
 * Reads are all ones.
 */
public final class TestDevIrqLines implements BusDevice {

    /** How many lines, one port each: the IOAPIC's 24 pins (the machine places them, at 0x2000 as QEMU does). */
    public static final int LINES = 24;

    private final InterruptLine[] lines;

    /**
     * Creates the ports.
     *
     * @param lines line 0 to 23, each as the machine wires it to the interrupt controllers
     */
    public TestDevIrqLines(List<InterruptLine> lines) {
        if (lines.size() != LINES) {
            throw new IllegalArgumentException(lines.size() + " interrupt lines, pc-testdev drives " + LINES);
        }
        this.lines = lines.toArray(InterruptLine[]::new);
    }

    @Override
    public long read(long offset, int size) {
        return Bus.allOnes(Math.clamp(size, 1, 8));
    }

    @Override
    public void write(long offset, int size, long value) {
        if (size < 1 || size > 8 || offset < 0 || offset >= LINES) {
            return;
        }
        int last = (int) Math.min(LINES - 1, offset + size - 1);
        for (int line = (int) offset; line <= last; line++) {
            if (((value >>> (8 * (line - offset))) & 0xff) != 0) {
                lines[line].raise();
            } else {
                lines[line].lower();
            }
        }
    }

    @Override
    public String toString() {
        return "pc-testdev irq lines (" + LINES + ")";
    }
}
