package org.jvmm.machine;

import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.stats.PhaseAccounting;

/**
 * The phase marker (docs/machine.md): the guest writes N to the register at offset 0, through MMIO
 * at {@link MemoryMap#PHASE_MARKER} or the port {@link MemoryMap#PHASE_MARKER_PORT}, to mark "phase
 * N of my work begins here"; the machine's {@link PhaseAccounting} then splits the exit counts at
 * that point. The value is the write's low {@code size} bytes; numbers outside the phases are
 * counted as dropped marks. Writes elsewhere in the window are ignored, and the register is
 * write-only: reads return all ones, as from an absent device.
 */
final class PhaseMarker implements BusDevice {
    private volatile PhaseAccounting accounting;

    /**
     * Connects the accounting, once the vCPUs exist; writes before that are dropped.
     *
     * @param phases the machine's accounting
     */
    void attach(PhaseAccounting phases) {
        this.accounting = phases;
    }

    @Override
    public long read(long offset, int size) {
        return Bus.allOnes(size);
    }

    @Override
    public void write(long offset, int size, long value) {
        PhaseAccounting phases = accounting;
        if (offset != 0 || phases == null) {
            return;
        }
        phases.mark(size >= 8 ? value : value & ((1L << (8 * size)) - 1));
    }

    @Override
    public String toString() {
        return "phase-marker";
    }
}
