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

    private Lapic() {}

    /**
     * Wires LINT0 to the PIC (ExtINT) and LINT1 to NMI, as firmware does on a PC, so interrupts from
     * the legacy PIC reach the vCPU. Needs the in-kernel irqchip.
     *
     * @param vcpu the vCPU
     */
    public static void routeLegacyInterrupts(VcpuFd vcpu) {
        byte[] page = vcpu.getLapic();
        ByteBuffer registers = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        registers.putInt(LVT0, (registers.getInt(LVT0) & ~0x1_0700) | DELIVERY_EXTINT);
        registers.putInt(LVT1, (registers.getInt(LVT1) & ~0x1_0700) | DELIVERY_NMI);
        vcpu.setLapic(page);
    }
}
