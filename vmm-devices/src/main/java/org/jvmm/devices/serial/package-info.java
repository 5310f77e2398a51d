/**
 * The 8250/16550A UART with 16750-style 64-byte FIFOs, {@link org.jvmm.devices.serial.Serial}: a
 * state machine over register offsets and values, as rust-vmm's vm-superio. Interrupts leave through
 * an injected {@link org.jvmm.core.irq.InterruptLine}, transmitted bytes through an
 * {@link java.io.OutputStream}, metrics through {@link org.jvmm.devices.serial.SerialEvents}; its
 * state is the record {@link org.jvmm.devices.serial.SerialState}. The two helper threads that
 * connect it to a host, {@link org.jvmm.devices.serial.SerialInputPump} and
 * {@link org.jvmm.devices.serial.OutputFlusher}, are optional and separate, so the device itself
 * owns no thread. Depends on vmm-core's bus and irq packages only.
 */
package org.jvmm.devices.serial;
