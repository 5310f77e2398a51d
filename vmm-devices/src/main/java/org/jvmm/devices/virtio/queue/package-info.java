/**
 * The split virtqueue of VIRTIO 1.2 (section 2.7), device side: {@link org.jvmm.devices.virtio.queue.Virtqueue}
 * (ring layout, avail/used indexes, EVENT_IDX, interrupt decision),
 * {@link org.jvmm.devices.virtio.queue.DescriptorChain} (the reusable cursor that walks and checks
 * one chain, indirect tables included) and {@link org.jvmm.devices.virtio.queue.ChainBuffers}
 * (a chain gathered into reusable arrays). The queue knows nothing of devices, transports or
 * interrupts. Depends on {@code org.jvmm.core.memory} only.
 */
package org.jvmm.devices.virtio.queue;
