package org.jvmm.core.irq;

import org.jvmm.core.kvm.EventFd;
import org.jvmm.core.kvm.VmFd;

/**
 * A GSI driven through an irqfd: raising writes the eventfd and KVM injects an edge without an
 * ioctl, from any thread (a device thread). Lowering does nothing: an irqfd has no level.
 */
public final class IrqFdLine implements InterruptLine, AutoCloseable {
    private final VmFd vm;
    private final int gsi;
    private final EventFd eventFd;

    /**
     * Creates an eventfd and binds it to {@code gsi} with {@code KVM_IRQFD}.
     *
     * @param vm  the VM, with its irqchip created
     * @param gsi the interrupt line number
     */
    public IrqFdLine(VmFd vm, int gsi) {
        this.vm = vm;
        this.gsi = gsi;
        this.eventFd = new EventFd();
        try {
            vm.assignIrqFd(eventFd, gsi);
        } catch (RuntimeException e) {
            eventFd.close();
            throw e;
        }
    }

    @Override
    public void raise() {
        eventFd.signal();
    }

    @Override
    public void lower() {
        // An irqfd delivers edges; there is no level to drop.
    }

    /** Unbinds the irqfd and closes the eventfd. */
    @Override
    public void close() {
        try {
            vm.deassignIrqFd(eventFd, gsi);
        } catch (RuntimeException e) {
            // The VM may already be closed, which unbinds it too.
        }
        eventFd.close();
    }

    @Override
    public String toString() {
        return "irqfd gsi " + gsi;
    }
}
