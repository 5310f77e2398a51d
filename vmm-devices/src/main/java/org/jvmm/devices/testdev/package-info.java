/**
 * QEMU's {@code pc-testdev} as kvm-unit-tests uses it, in three bus devices: the scratch and flush-page
 * ports at 0xe0-0xeb ({@link org.jvmm.devices.testdev.TestDevPorts}), the interrupt-line ports at
 * 0x2000-0x2017 ({@link org.jvmm.devices.testdev.TestDevIrqLines}) and 64 KiB of MMIO memory at
 * 0xff000000 ({@link org.jvmm.devices.testdev.TestDevMemory}). The debug exit at 0xf4 is
 * {@link org.jvmm.devices.debug}. Depends on vmm-core's bus and irq.
 */
package org.jvmm.devices.testdev;
