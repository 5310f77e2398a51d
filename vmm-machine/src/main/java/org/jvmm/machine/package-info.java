/**
 * jvmm's machine as a library: one {@link org.jvmm.machine.MemoryMap}, a typed
 * {@link org.jvmm.machine.MachineBuilder}, and the {@link org.jvmm.machine.Machine} it builds, which
 * boots a raw payload or a Linux kernel, runs, pauses and resumes, and reports a
 * {@link org.jvmm.machine.RunResult}. It wires vmm-devices' devices onto vmm-core's buses, interrupt
 * lines and vCPUs; the front ends (the jvmm command, a debugger stub) only drive it, through its
 * builder, its listeners ({@link org.jvmm.core.vcpu.ExitListener},
 * {@link org.jvmm.devices.virtio.VirtioObserver}) and its pause and resume.
 *
 * <p>Package-private classes hold the wiring: {@code DeviceWiring} places devices,
 * {@code InterruptPaths} and {@code NotifyPaths} are the one home of the irqfd and ioeventfd
 * fallbacks, {@code RawLoader} and {@code LinuxLoader} boot, {@code Resources} closes in order.
 */
package org.jvmm.machine;
