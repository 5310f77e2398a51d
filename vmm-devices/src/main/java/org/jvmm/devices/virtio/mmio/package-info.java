/**
 * The virtio-mmio transport, version 2: {@link org.jvmm.devices.virtio.mmio.VirtioMmioTransport}
 * is the {@link org.jvmm.core.bus.BusDevice} the machine registers on its MMIO bus, one per
 * device, each with its own interrupt line. Wiring, done by the machine builder:
 * <pre>{@code
 * VirtioMmioTransport blk = new VirtioMmioTransport(VirtioBlock.open(image, false), ram.memory(), gsi5);
 * mmioBus.register("virtio-blk", new AddressRange(0xd000_0000L, VirtioMmioTransport.SIZE), blk);
 * // guest kernel command line: virtio_mmio.device=4K@0xd0000000:5
 * // optional: an ioeventfd on base + VirtioMmioTransport.QUEUE_NOTIFY_OFFSET whose thread calls
 * // blk.notifyQueue(queueIndex)
 * }</pre>
 * Depends on {@code org.jvmm.core.bus}, {@code irq} and {@code memory}, and on {@code virtio}
 * and {@code virtio.queue}.
 */
package org.jvmm.devices.virtio.mmio;
