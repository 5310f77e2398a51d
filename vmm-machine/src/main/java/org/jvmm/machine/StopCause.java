package org.jvmm.machine;

import java.util.Objects;

/**
 * Why a machine stopped.
 *
 * @param kind        the kind of stop
 * @param description one line for the user, e.g. "debug exit, status 1" or "the guest powered off"
 * @param guestStatus for {@link Kind#GUEST_EXIT}: the status the guest asked for through the debug
 *                    exit port; 0 otherwise
 */
public record StopCause(Kind kind, String description, int guestStatus) {

    /** The kinds of stop. */
    public enum Kind {
        /** The guest wrote the debug-exit port. */
        GUEST_EXIT,
        /** The guest powered off through ACPI. */
        POWER_OFF,
        /** The guest asked for a reset (ACPI reset register, i8042 reset line); jvmm stops instead. */
        RESET,
        /** Every vCPU halted with no way to wake up (no in-kernel irqchip), or a system event ended it. */
        HALT,
        /** A vCPU stopped with an error: emulation failure, triple fault, failed KVM_RUN, ... */
        VCPU_ERROR,
        /** The run took longer than the caller allowed. */
        TIMEOUT,
        /** The caller stopped it ({@link Machine#stop}). */
        REQUESTED
    }

    /**
     * Checks for nulls.
     *
     * @param kind        kind
     * @param description description
     * @param guestStatus the guest's status
     */
    public StopCause {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(description, "description");
    }

    /**
     * A stop of a kind other than {@link Kind#GUEST_EXIT}.
     *
     * @param kind        the kind
     * @param description one line
     * @return the cause
     */
    public static StopCause of(Kind kind, String description) {
        return new StopCause(kind, description, 0);
    }

    /** {@return whether the stop is an error: a vCPU error or a timeout} */
    public boolean isError() {
        return kind == Kind.VCPU_ERROR || kind == Kind.TIMEOUT;
    }
}
