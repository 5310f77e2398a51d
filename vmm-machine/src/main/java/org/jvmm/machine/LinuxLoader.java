package org.jvmm.machine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jvmm.core.boot.BootCpu;
import org.jvmm.core.boot.BootFile;
import org.jvmm.core.boot.CommandLine;
import org.jvmm.core.boot.Initrd;
import org.jvmm.core.boot.KernelImage;
import org.jvmm.core.boot.LinuxBoot;
import org.jvmm.core.boot.LoadedKernel;
import org.jvmm.core.boot.VirtioMmioSlot;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * Boots a Linux kernel on the machine through vmm-core's {@link LinuxBoot} steps, at the places
 * {@link MemoryMap#LINUX} gives: kernel, initrd, ACPI tables, command line and zero page; vCPU 0 at
 * the kernel's 64-bit entry, the others waiting for INIT/SIPI in the in-kernel LAPIC.
 */
final class LinuxLoader implements KernelLoader {

    /** The reboot method jvmm asks for when the caller names none: see {@link #needsAcpiReboot}. */
    static final String ACPI_REBOOT = "reboot=acpi";

    private final KernelBoot config;
    private final KernelImage image;
    private LinuxBoot boot;
    private LoadedKernel kernel;

    LinuxLoader(KernelBoot config, KernelImage image) {
        this.config = config;
        this.image = image;
    }

    /** Before RAM and vCPUs: KVM's TSS and identity-map pages, the in-kernel irqchip and PIT. */
    @Override
    public void configureVm(VmFd vm) {
        LinuxBoot.configureVm(vm, MemoryMap.LINUX);
    }

    @Override
    public void load(GuestMemory memory, int cpus, List<VirtioMmioSlot> slots) throws IOException {
        boot = new LinuxBoot(memory, cpus, MemoryMap.LINUX);
        kernel = boot.loadKernel(image);
        Optional<Initrd> initrd = Optional.empty();
        if (config.initrd() != null) {
            try (Arena file = Arena.ofConfined()) {
                initrd = Optional.of(boot.loadInitrd(BootFile.map(config.initrd(), file), kernel));
            }
        }
        long rsdp = config.acpi() ? boot.writeAcpi(slots).rsdp() : 0;
        CommandLine cmdline = CommandLine.forKernel(kernel).append(config.cmdline());
        if (!config.acpi()) {
            cmdline = cmdline.append("acpi=off");
        }
        if (needsAcpiReboot(config.acpi(), config.cmdline())) {
            cmdline = cmdline.append(ACPI_REBOOT);
        }
        // Debian's kernel finds the devices through ACPI; kernels built with
        // CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES take these entries too.
        for (VirtioMmioSlot slot : slots) {
            cmdline = cmdline.append(slot.commandLineEntry());
        }
        boot.writeBootParams(kernel, cmdline, initrd, rsdp);
        boot.writeCpuTables();
    }

    /**
     * Whether jvmm adds {@value #ACPI_REBOOT}. With a hardware-reduced FADT and no EFI, Linux's
     * reboot_init() still chooses EFI reboot ({@code efi_reboot_required()}), finds no EFI runtime and
     * falls back to a real-mode jump to the BIOS reset vector at 0xffff0, where jvmm has no BIOS: the
     * guest then runs zeros forever without one exit (seen in nested KVM with Debian 6.1). With
     * {@code reboot=acpi} it writes the FADT reset register, which stops the VM. A {@code reboot=}
     * of the caller's wins; without ACPI the kernel falls back to the i8042 pulse, which stops it too.
     *
     * @param acpi    whether the guest gets ACPI tables
     * @param cmdline the caller's command line
     * @return true to append {@value #ACPI_REBOOT}
     */
    static boolean needsAcpiReboot(boolean acpi, String cmdline) {
        return acpi && Arrays.stream(cmdline.strip().split("\\s+")).noneMatch(p -> p.startsWith("reboot="));
    }

    /**
     * vCPU 0 gets the kernel's 64-bit entry state; the others keep KVM's reset state and wait in the
     * in-kernel LAPIC for INIT/SIPI from vCPU 0. All get the same boot MSRs: an AP whose MTRRdefType
     * differs from the BSP's makes Linux warn that the firmware did not set up every CPU.
     */
    @Override
    public void configureVcpu(VcpuFd fd, Cpuid cpuid) {
        boot.configureVcpu(fd, cpuid, new BootCpu.CpuidOptions(config.hideCx16(), config.hideXsave()), kernel);
    }
}
