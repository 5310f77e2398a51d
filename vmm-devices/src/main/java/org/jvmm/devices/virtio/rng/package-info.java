/**
 * virtio-rng (device id 4): fills the guest's buffers with bytes from a host random source.
 * Depends on {@code org.jvmm.core.memory}, {@code virtio} and {@code virtio.queue}.
 */
package org.jvmm.devices.virtio.rng;
