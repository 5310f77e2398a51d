/**
 * An ATA-PIO-like block device at ports 0x1f0-0x1f7, {@link org.jvmm.devices.ata.AtaPio}, over a
 * raw image, {@link org.jvmm.devices.disk.DiskImage}: one drive, LBA28, polled. It exists so jvmm
 * can compare a port-I/O block path with virtio-blk. Depends on vmm-core's bus package and java.base.
 */
package org.jvmm.devices.ata;
