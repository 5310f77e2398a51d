/**
 * The virtio-mmio transport, version 2: {@link org.jvmm.devices.virtio.mmio.VirtioMmioTransport}
 * is the {@link org.jvmm.core.bus.BusDevice} the machine registers on its MMIO bus, one per
 * device. Depends on {@code org.jvmm.core.bus}, {@code irq} and {@code memory}, and on
 * {@code virtio} and {@code virtio.queue}.
 */
package org.jvmm.devices.virtio.mmio;
