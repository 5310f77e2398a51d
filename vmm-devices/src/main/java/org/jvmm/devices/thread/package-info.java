/**
 * The devices' host-side threads: {@link org.jvmm.devices.thread.DeviceThread}, the one lifecycle
 * (start, step loop, wake, failure count, bounded or complete wait on close) of the serial output
 * flusher and input pump, virtio-console's input pump and the machine's ioeventfd drains. Depends on
 * nothing but java.base.
 */
package org.jvmm.devices.thread;
