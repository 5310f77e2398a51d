package org.jvmm.machine;

import java.util.function.Consumer;
import org.jvmm.core.irq.InterruptLine;
import org.jvmm.core.irq.IrqFdLine;
import org.jvmm.core.irq.KvmIrqLine;
import org.jvmm.core.kvm.Capability;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.VmFd;

/**
 * Turns an interrupt path into an {@link InterruptLine} on a GSI: the one home of the irqfd
 * fallback. Where the host's KVM has no irqfd, or refuses one, the line is a KVM_IRQ_LINE one and a
 * note says so.
 */
final class InterruptPaths {
    private final VmFd vm;
    private final boolean irqchip;
    private final Resources resources;
    private final Consumer<String> note;

    InterruptPaths(VmFd vm, boolean irqchip, Resources resources, Consumer<String> note) {
        this.vm = vm;
        this.irqchip = irqchip;
        this.resources = resources;
        this.note = note;
    }

    /** {@return AUTO resolved for this machine: LINE with the in-kernel irqchip, NONE without} */
    Interrupt resolve(Interrupt path) {
        return path == Interrupt.AUTO ? (irqchip ? Interrupt.LINE : Interrupt.NONE) : path;
    }

    InterruptLine line(String name, Interrupt path, int gsi) {
        return switch (resolve(path)) {
            case LINE -> new KvmIrqLine(vm, gsi);
            case IRQFD -> irqFd(name, gsi);
            case NONE, AUTO -> InterruptLine.NONE;
        };
    }

    private InterruptLine irqFd(String name, int gsi) {
        if (vm.checkExtension(Capability.IRQFD) == 0) {
            note.accept(name + ": this host has no irqfd; using KVM_IRQ_LINE");
            return new KvmIrqLine(vm, gsi);
        }
        try {
            return resources.add(new IrqFdLine(vm, gsi));
        } catch (KvmException e) {
            note.accept(name + ": KVM refused the irqfd (" + e.getMessage() + "); using KVM_IRQ_LINE");
            return new KvmIrqLine(vm, gsi);
        }
    }
}
