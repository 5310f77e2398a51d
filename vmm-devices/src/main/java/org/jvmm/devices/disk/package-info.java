/**
 * Raw disk images shared by the block devices (ATA-PIO and virtio-blk): locked so two VMs never
 * share a writable image, never grown, truncated or created. Depends on java.base only.
 */
package org.jvmm.devices.disk;
