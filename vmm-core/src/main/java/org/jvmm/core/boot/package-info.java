/**
 * Booting a Linux kernel the way its x86 boot protocol (Documentation/arch/x86/boot.rst) asks:
 * parsing a bzImage or an uncompressed ELF {@code vmlinux} ({@link KernelImage}), the command line
 * ({@link CommandLine}), the e820 map ({@link E820Map}), the initrd ({@link Initrd}), the zero page
 * ({@link ZeroPage}), the ACPI tables the VMM generates ({@link AcpiTables}, {@link Aml}), and the CPU
 * state of the 64-bit entry ({@link BootCpu}). {@link LinuxBoot} runs those steps in order on a VM.
 *
 * <p>It also boots Multiboot (version 1) kernels such as kvm-unit-tests' ({@link MultibootKernel},
 * {@link MultibootBoot}: segments, modules, the information structure {@link MultibootInfo}, the 32-bit
 * entry state); {@link KernelFormat} tells the two protocols apart from a file's bytes.
 *
 * <p>Loading and writing boot parameters are separate steps, as in rust-vmm's linux-loader. Every
 * failure the user can cause (a bad image, a command line too long, an initrd that does not fit) is a
 * {@link BootException} carrying a {@link BootError}. Depends on kvm, memory and arch.
 */
package org.jvmm.core.boot;
