package org.jvmm.core.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvmm.core.kvm.VcpuFd;

/**
 * The in-kernel local APIC's register page, as {@code KVM_GET_LAPIC} returns it: 32-bit registers
 * at their MMIO offsets.
 */
public final class Lapic {
    /** Local vector table entry for LINT0. */
    public static final int LVT0 = 0x350;
    /** Local vector table entry for LINT1. */
    public static final int LVT1 = 0x360;
    /** Delivery mode ExtINT: the 8259 PIC's output. */
    public static final int DELIVERY_EXTINT = 0x7 << 8;
    /** Delivery mode NMI. */
    public static final int DELIVERY_NMI = 0x4 << 8;
    private static final int DELIVERY_MODE = 0x7 << 8;

    private Lapic() {}

    /**
     * A register page with LINT0 in ExtINT mode (the PIC's output) and LINT1 in NMI mode, as a PC's
     * firmware leaves them; every other bit of the two LVTs is kept. The mask bit in particular: KVM
     * resets the boot vCPU's LINT0 unmasked and the others' masked, so only vCPU 0 takes the PIC's
     * interrupts, as on a PC.
     *
     * @param page what {@code KVM_GET_LAPIC} returned (1024 bytes)
     * @return a changed copy for {@code KVM_SET_LAPIC}
     */
    public static byte[] withLegacyLints(byte[] page) {
        byte[] copy = page.clone();
        ByteBuffer registers = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
        registers.putInt(LVT0, (registers.getInt(LVT0) & ~DELIVERY_MODE) | DELIVERY_EXTINT);
        registers.putInt(LVT1, (registers.getInt(LVT1) & ~DELIVERY_MODE) | DELIVERY_NMI);
        return copy;
    }

    /**
     * Reads, changes ({@link #withLegacyLints}) and writes back the vCPU's LAPIC, so interrupts from
     * the legacy PIC reach the vCPU. Needs the in-kernel irqchip.
     *
     * @param vcpu the vCPU
     */
    public static void routeLegacyInterrupts(VcpuFd vcpu) {
        vcpu.setLapic(withLegacyLints(vcpu.getLapic()));
    }
}
