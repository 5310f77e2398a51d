package org.jvmm.machine;

/** How a virtio device interrupts the guest. */
public enum Interrupt {
    /** {@link #LINE} on a machine with the in-kernel irqchip, {@link #NONE} without one. */
    AUTO,
    /** KVM_IRQ_LINE ioctls (level-triggered); needs the in-kernel irqchip. */
    LINE,
    /**
     * An irqfd (no ioctl per interrupt); needs the in-kernel irqchip. Where the host's KVM has no
     * irqfd or refuses it, the machine falls back to {@link #LINE} and says so in its notes.
     */
    IRQFD,
    /** None: the guest polls the used ring. */
    NONE
}
