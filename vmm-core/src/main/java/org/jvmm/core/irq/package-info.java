/**
 * Interrupt lines: {@link org.jvmm.core.irq.InterruptLine} is the seam devices use, and its KVM
 * implementations (KVM_IRQ_LINE, irqfd) live beside it, so devices never see KVM types.
 */
package org.jvmm.core.irq;
