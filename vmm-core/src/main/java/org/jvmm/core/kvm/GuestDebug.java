package org.jvmm.core.kvm;

import java.util.Arrays;

/**
 * What {@code KVM_SET_GUEST_DEBUG} sets on one vCPU ({@code struct kvm_guest_debug}): the control
 * flags and the eight debug-register slots. Slots 0 to 3 hold breakpoint addresses (DR0-DR3), slot 7
 * holds DR7 (which slots are enabled, their kind and length); KVM ignores slots 4 to 6. Immutable.
 *
 * <p>While {@link #USE_HW_BP} is set, the guest's own debug registers are not in the hardware: KVM
 * keeps them aside and puts them back when host debugging ends.
 */
public final class GuestDebug {

    /** KVM_GUESTDBG_ENABLE: host debugging on; without it every other flag is ignored. */
    public static final int ENABLE = 0x1;
    /** KVM_GUESTDBG_SINGLESTEP: a KVM_EXIT_DEBUG after each guest instruction. */
    public static final int SINGLESTEP = 0x2;
    /** KVM_GUESTDBG_USE_SW_BP: an {@code int3} the guest executes exits to the VMM (exception 3). */
    public static final int USE_SW_BP = 0x10000;
    /** KVM_GUESTDBG_USE_HW_BP: the debug-register slots are the host's breakpoints. */
    public static final int USE_HW_BP = 0x20000;
    /** KVM_GUESTDBG_INJECT_DB: queue a #DB for the guest during this call (hand back one not ours). */
    public static final int INJECT_DB = 0x40000;
    /** KVM_GUESTDBG_INJECT_BP: queue a #BP for the guest during this call (hand back one not ours). */
    public static final int INJECT_BP = 0x80000;
    /** KVM_GUESTDBG_BLOCKIRQ: no interrupt is delivered while single-stepping (Linux 5.17 on). */
    public static final int BLOCKIRQ = 0x100000;

    /** The flags every KVM with KVM_CAP_SET_GUEST_DEBUG supports (KVM_CAP_SET_GUEST_DEBUG2 came later). */
    public static final int BASELINE_FLAGS = ENABLE | SINGLESTEP | USE_SW_BP | USE_HW_BP | INJECT_DB | INJECT_BP;

    private static final int SLOTS = 8;

    /** Host debugging off: the guest's own debug state is back in force. */
    public static final GuestDebug OFF = new GuestDebug(0, new long[SLOTS]);

    /** DR7's index in {@link #debugRegister}. */
    public static final int DR7 = 7;

    private final int control;
    private final long[] debugRegisters;

    /**
     * Creates the state.
     *
     * @param control        the KVM_GUESTDBG_* flags
     * @param debugRegisters up to 8 slots (DR0-DR3, unused, unused, unused, DR7); missing ones are 0
     */
    public GuestDebug(int control, long[] debugRegisters) {
        if (debugRegisters.length > SLOTS) {
            throw new IllegalArgumentException("kvm_guest_debug has 8 debug-register slots, got " + debugRegisters.length);
        }
        this.control = control;
        this.debugRegisters = Arrays.copyOf(debugRegisters, SLOTS);
    }

    /** {@return the KVM_GUESTDBG_* flags} */
    public int control() {
        return control;
    }

    /**
     * One debug-register slot.
     *
     * @param index 0 to 7
     * @return its value
     */
    public long debugRegister(int index) {
        return debugRegisters[index];
    }

    /** {@return a copy of the 8 slots} */
    public long[] debugRegisters() {
        return debugRegisters.clone();
    }

    /**
     * The same registers with other flags.
     *
     * @param newControl the KVM_GUESTDBG_* flags
     * @return the new state
     */
    public GuestDebug withControl(int newControl) {
        return new GuestDebug(newControl, debugRegisters);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GuestDebug other && control == other.control
                && Arrays.equals(debugRegisters, other.debugRegisters);
    }

    @Override
    public int hashCode() {
        return control * 31 + Arrays.hashCode(debugRegisters);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("GuestDebug[control=0x").append(Integer.toHexString(control));
        for (int i = 0; i < 4; i++) {
            text.append(", dr").append(i).append("=0x").append(Long.toHexString(debugRegisters[i]));
        }
        return text.append(", dr7=0x").append(Long.toHexString(debugRegisters[DR7])).append(']').toString();
    }
}
