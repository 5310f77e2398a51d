package org.jvmm.machine;

import java.util.function.Consumer;
import org.jvmm.core.boot.AcpiTables;
import org.jvmm.core.bus.BusDevice;

/**
 * The ACPI power ports the FADT names: a power-off or reset written there stops the machine (jvmm
 * stops instead of resetting). The three registers read 0; other writes are dropped. The ports are
 * 8 bits wide: a wider access is one byte access per port (a PC's bus splits it so), so a reset can
 * come in the third byte of a 4-byte write to the first port. On every machine, raw payloads too
 * (only Linux guests find them described, in the FADT).
 */
final class PowerPorts implements BusDevice {
    private final Consumer<StopCause> stop;

    PowerPorts(Consumer<StopCause> stop) {
        this.stop = stop;
    }

    /** Reads 0 from each of the three ports, all ones from ports past them (byte by byte). */
    @Override
    public long read(long offset, int size) {
        int bytes = Math.clamp(size, 1, 8);
        long value = 0;
        for (int b = 0; b < bytes; b++) {
            if (offset + b >= AcpiTables.POWER_PORTS) {
                value |= 0xffL << (8 * b);
            }
        }
        return value;
    }

    /**
     * Writes each byte to its own port, lowest first, as a PC splits a wide access: the first byte
     * that asks for a power-off or reset stops the machine, and the bytes after it are not written.
     */
    @Override
    public void write(long offset, int size, long value) {
        int bytes = Math.clamp(size, 1, 8);
        for (int b = 0; b < bytes && offset + b < AcpiTables.POWER_PORTS; b++) {
            switch (AcpiTables.powerAction(offset + b, (value >>> (8 * b)) & 0xff)) {
                case POWEROFF -> {
                    stop.accept(StopCause.of(StopCause.Kind.POWER_OFF, "the guest powered off"));
                    return;
                }
                case RESET -> {
                    stop.accept(StopCause.of(StopCause.Kind.RESET, "the guest rebooted (jvmm stops instead of resetting)"));
                    return;
                }
                case NONE -> { }
            }
        }
    }

    @Override
    public String toString() {
        return "acpi-power";
    }
}
