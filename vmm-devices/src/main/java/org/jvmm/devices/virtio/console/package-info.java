/**
 * virtio-console (device id 3): one port, guest output to a host channel, host input into the
 * guest's receive buffers. Depends on {@code org.jvmm.core.memory}, {@code virtio} and
 * {@code virtio.queue}.
 */
package org.jvmm.devices.virtio.console;
