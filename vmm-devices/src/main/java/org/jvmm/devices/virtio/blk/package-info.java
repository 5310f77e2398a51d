/**
 * virtio-blk (device id 2) over a raw image file, writeback cache with FLUSH. Depends on
 * {@code org.jvmm.core.memory}, {@code virtio} and {@code virtio.queue}, and on java.nio's
 * file channels.
 */
package org.jvmm.devices.virtio.blk;
