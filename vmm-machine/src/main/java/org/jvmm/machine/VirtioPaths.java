package org.jvmm.machine;

import java.util.Objects;

/**
 * The paths a virtio device's notifications and interrupts take, and whether it offers
 * VIRTIO_F_EVENT_IDX (with it, driver and device tell each other when to notify and interrupt).
 *
 * @param notifyPath    QueueNotify as an exit or through an ioeventfd
 * @param interruptPath the interrupt path
 * @param eventIdx      whether VIRTIO_F_EVENT_IDX is offered
 */
public record VirtioPaths(Notify notifyPath, Interrupt interruptPath, boolean eventIdx) {

    /** Exits, the machine's default interrupt, EVENT_IDX offered. */
    public static final VirtioPaths DEFAULT = new VirtioPaths(Notify.EXIT, Interrupt.AUTO, true);

    /**
     * Checks for nulls.
     *
     * @param notifyPath    notify path
     * @param interruptPath interrupt path
     * @param eventIdx  EVENT_IDX offered
     */
    public VirtioPaths {
        Objects.requireNonNull(notifyPath, "notifyPath");
        Objects.requireNonNull(interruptPath, "interruptPath");
    }

    /**
     * {@return these paths with another notify path}
     *
     * @param path the notify path
     */
    public VirtioPaths withNotify(Notify path) {
        return new VirtioPaths(path, interruptPath, eventIdx);
    }

    /**
     * {@return these paths with another interrupt path}
     *
     * @param path the interrupt path
     */
    public VirtioPaths withInterrupt(Interrupt path) {
        return new VirtioPaths(notifyPath, path, eventIdx);
    }

    /**
     * {@return these paths with EVENT_IDX offered or not}
     *
     * @param offered whether to offer it
     */
    public VirtioPaths withEventIdx(boolean offered) {
        return new VirtioPaths(notifyPath, interruptPath, offered);
    }
}
