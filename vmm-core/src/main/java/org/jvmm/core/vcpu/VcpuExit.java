package org.jvmm.core.vcpu;

import org.jvmm.core.kvm.ExitReason;

/**
 * Why a vCPU thread stopped: the last exit (or a stop request), with a human-readable account of
 * the exit's data and the guest's registers for errors, made once on the slow path.
 *
 * @param reason    the exit reason that stopped it; {@link ExitReason#INTR} for a stop request
 * @param rawReason the raw code
 * @param detail    e.g. "emulation failure, suberror 1, data [...]"; empty for a plain stop
 * @param registers a register and segment dump for error exits, or empty
 */
public record VcpuExit(ExitReason reason, int rawReason, String detail, String registers) {

    /**
     * {@return whether this is an error the user must hear about (not HLT, a system event or a stop)}
     * A SHUTDOWN exit is one: it is a triple fault, which resets real hardware, so the guest crashed.
     */
    public boolean isError() {
        return switch (reason) {
            case HLT, INTR, SYSTEM_EVENT -> false;
            default -> true;
        };
    }

    @Override
    public String toString() {
        return ExitReason.describe(rawReason) + (detail.isEmpty() ? "" : ": " + detail);
    }
}
