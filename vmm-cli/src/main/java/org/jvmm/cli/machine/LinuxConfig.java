package org.jvmm.cli.machine;

import java.nio.file.Path;

/**
 * A Linux kernel to boot (docs/linux-boot.md).
 *
 * @param kernel  a bzImage or an uncompressed ELF vmlinux
 * @param initrd  the initramfs, or null
 * @param cmdline the kernel command line; jvmm appends the virtio-mmio entries
 * @param acpi    whether to describe the devices in ACPI tables (off: command-line entries only)
 * @param hideCx16  hide CMPXCHG16B in CPUID (hosts whose emulator lacks it)
 * @param hideXsave hide XSAVE in CPUID (hosts whose emulator lacks it; pass noxsave too)
 */
public record LinuxConfig(Path kernel, Path initrd, String cmdline, boolean acpi, boolean hideCx16, boolean hideXsave) {}
