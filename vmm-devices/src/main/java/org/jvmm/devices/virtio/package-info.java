/**
 * Virtio devices independent of transport: {@link org.jvmm.devices.virtio.VirtioDevice} (what a
 * device offers and does), {@link org.jvmm.devices.virtio.VirtioContext} (what a transport gives
 * an activated device), {@link org.jvmm.devices.virtio.VirtioObserver} (metrics hook), feature
 * and status constants. The plumbing shared by devices and transports has one home each:
 * {@link org.jvmm.devices.virtio.AbstractVirtioDevice} (a device's identity, config space and
 * live context), {@link org.jvmm.devices.virtio.ConfigSpace} (little-endian config fields and
 * their generation) and {@link org.jvmm.devices.virtio.FeatureNegotiation} (what a transport
 * records while the driver negotiates). Transports live in {@code virtio.mmio}, the ring in
 * {@code virtio.queue}, devices in {@code virtio.console}, {@code virtio.blk} and
 * {@code virtio.rng}. Depends on {@code org.jvmm.core.memory} and {@code virtio.queue}.
 */
package org.jvmm.devices.virtio;
