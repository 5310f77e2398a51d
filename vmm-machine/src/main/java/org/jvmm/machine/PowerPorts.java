package org.jvmm.machine;

import java.util.function.Consumer;
import org.jvmm.core.boot.AcpiTables;
import org.jvmm.core.bus.BusDevice;

/**
 * The ACPI power ports the FADT names: a power-off or reset written there stops the machine (jvmm
 * stops instead of resetting). The sleep status register reads 0; other writes are dropped.
 */
final class PowerPorts implements BusDevice {
    private final Consumer<StopCause> stop;

    PowerPorts(Consumer<StopCause> stop) {
        this.stop = stop;
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        switch (AcpiTables.powerAction(offset, value)) {
            case POWEROFF -> stop.accept(StopCause.of(StopCause.Kind.POWER_OFF, "the guest powered off"));
            case RESET -> stop.accept(StopCause.of(StopCause.Kind.RESET, "the guest rebooted (jvmm stops instead of resetting)"));
            case NONE -> { }
        }
    }

    @Override
    public String toString() {
        return "acpi-power";
    }
}
