package org.jvmm.machine;

/** How a virtio device hears the driver's QueueNotify. */
public enum Notify {
    /** A user-space MMIO exit, handled on the vCPU thread. */
    EXIT,
    /**
     * Absorbed by KVM through an ioeventfd, served by a device thread; where the host's KVM has no
     * ioeventfd or refuses it, the machine falls back to {@link #EXIT} and says so in its notes.
     */
    IOEVENTFD
}
