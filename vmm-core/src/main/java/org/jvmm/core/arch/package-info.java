/**
 * x86-64 CPU state: real, protected and long mode entry set from the host, identity page tables,
 * the flat GDT, dropping to ring 3, and per-vCPU CPUID; the {@code --cpu} option's model and
 * {@code +feature}/{@code -feature} changes by QEMU's feature names ({@link org.jvmm.core.arch.CpuFeatures},
 * {@link org.jvmm.core.arch.CpuFeature}); the guest's page tables walked as its MMU would (real,
 * 32-bit, PAE, long mode) and guest memory at linear addresses. Depends on kvm and memory.
 */
package org.jvmm.core.arch;
