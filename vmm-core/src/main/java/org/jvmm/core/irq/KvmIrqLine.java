package org.jvmm.core.irq;

import org.jvmm.core.kvm.VmFd;

/**
 * A GSI of KVM's in-kernel irqchip driven with {@code KVM_IRQ_LINE}: one ioctl per edge, level
 * semantics (the line stays asserted until lowered), as an ISA or virtio-mmio interrupt wire.
 */
public final class KvmIrqLine implements InterruptLine {
    private final VmFd vm;
    private final int gsi;

    /**
     * Creates the line.
     *
     * @param vm  the VM, with its irqchip created
     * @param gsi the interrupt line number
     */
    public KvmIrqLine(VmFd vm, int gsi) {
        this.vm = vm;
        this.gsi = gsi;
    }

    @Override
    public void raise() {
        vm.setIrqLine(gsi, true);
    }

    @Override
    public void lower() {
        vm.setIrqLine(gsi, false);
    }

    @Override
    public String toString() {
        return "irq-line gsi " + gsi;
    }
}
