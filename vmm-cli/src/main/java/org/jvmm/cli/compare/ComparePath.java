package org.jvmm.cli.compare;

import org.jvmm.machine.VirtioPaths;

/**
 * One I/O path of a workload: the built-in guest that drives it and the device it drives.
 *
 * @param workload     "console" or "blk"
 * @param name         the row's name, e.g. "virtio-console notify=ioeventfd"
 * @param guest        the built-in guest
 * @param device       the device the guest drives
 * @param paths        for virtio devices: notify and interrupt paths
 * @param guestFlags   args[1] of the parameter block (bit 0: the guest negotiates EVENT_IDX)
 * @param baseline     whether this is the port-I/O row the others are compared with
 */
record ComparePath(String workload, String name, String guest, Device device, VirtioPaths paths, long guestFlags,
                   boolean baseline) {

    /** The device a path's guest drives. */
    enum Device {
        /** COM1, the 8250 (no extra device). */
        UART,
        /** virtio-console. */
        VIRTIO_CONSOLE,
        /** ATA-PIO over the image. */
        ATA_PIO,
        /** virtio-blk over the image. */
        VIRTIO_BLK
    }

    /** {@return whether the path moves console bytes (else it reads a disk)} */
    boolean console() {
        return workload.equals("console");
    }
}
