package org.jvmm.machine;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A kernel to boot, recognised from the file itself: a Linux bzImage or uncompressed ELF vmlinux
 * (docs/linux-boot.md), or a Multiboot (v1) kernel such as kvm-unit-tests' (docs/multiboot.md).
 *
 * @param kernel    the kernel file
 * @param initrd    the initramfs, or null; a Multiboot kernel gets it as module 0
 * @param cmdline   the command line; for Linux the machine appends its virtio-mmio entries and, with
 *                  ACPI and no {@code reboot=} of the caller's, {@code reboot=acpi}; a Multiboot kernel
 *                  gets the kernel's path, a space and this
 * @param acpi      whether to describe the devices in ACPI tables (off: command-line entries only)
 * @param hideCx16  hide CMPXCHG16B in CPUID (hosts whose instruction emulator lacks it)
 * @param hideXsave hide XSAVE in CPUID (hosts whose emulator lacks it; pass {@code noxsave} too)
 */
public record KernelBoot(Path kernel, Path initrd, String cmdline, boolean acpi, boolean hideCx16, boolean hideXsave)
        implements Boot {

    /**
     * Checks the fields that must be there.
     *
     * @param kernel    the kernel file
     * @param initrd    the initramfs, or null
     * @param cmdline   the command line
     * @param acpi      ACPI tables or not
     * @param hideCx16  hide CMPXCHG16B
     * @param hideXsave hide XSAVE
     */
    public KernelBoot {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(cmdline, "cmdline");
    }

    /**
     * A kernel with ACPI and nothing hidden.
     *
     * @param kernel  the kernel file
     * @param initrd  the initramfs, or null
     * @param cmdline the command line
     * @return the boot
     */
    public static KernelBoot of(Path kernel, Path initrd, String cmdline) {
        return new KernelBoot(kernel, initrd, cmdline, true, false, false);
    }
}
