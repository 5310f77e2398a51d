package org.jvmm.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.jvmm.core.arch.Lapic;
import org.jvmm.core.boot.AcpiTables;
import org.jvmm.core.boot.BootCpu;
import org.jvmm.core.boot.BootException;
import org.jvmm.core.boot.LinuxBoot;
import org.jvmm.core.boot.MultibootBoot;
import org.jvmm.core.boot.MultibootKernel;
import org.jvmm.core.boot.MultibootLayout;
import org.jvmm.core.boot.MultibootModule;
import org.jvmm.core.boot.VirtioMmioSlot;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * Boots a Multiboot (v1) kernel on the machine (docs/multiboot.md) through vmm-core's
 * {@link MultibootBoot}: the ACPI tables (with the PM timer, the PM1 registers and the FACS,
 * {@link MemoryMap#MULTIBOOT_ACPI}) in the
 * BIOS area, the kernel's segments, the initrd as module 0, the information block; vCPU 0 at the
 * kernel's 32-bit entry, the others waiting for INIT/SIPI in the in-kernel LAPIC, as with Linux. The
 * machine adds the compatibility devices ({@link CompatDevices}).
 */
final class MultibootLoader implements KernelLoader {

    private final KernelBoot config;
    private final MultibootKernel kernel;
    private MultibootLayout layout;
    private int cpus;
    private long facs;

    MultibootLoader(KernelBoot config, MultibootKernel kernel) {
        this.config = config;
        this.kernel = kernel;
    }

    /**
     * KVM's TSS and identity-map pages, the in-kernel irqchip and PIT, where a Linux machine has them; the
     * PICs' vector bases where a PC BIOS puts them (IRQ 0-7 at 0x08, 8-15 at 0x70). A Multiboot kernel is
     * entered after firmware under QEMU, and code written for that, as kvm-unit-tests' realmode (its IRQ 11
     * handler at vector 0x73), takes a PIC interrupt at the BIOS's vector; KVM creates the PICs with base 0,
     * which would put IRQ 11 on the breakpoint vector. The masks stay as KVM creates them (all open).
     */
    @Override
    public void configureVm(VmFd vm) {
        LinuxBoot.configureVm(vm, MemoryMap.LINUX);
        vm.setPicVectorBase(VmFd.PIC_MASTER, BIOS_IRQ0_VECTOR);
        vm.setPicVectorBase(VmFd.PIC_SLAVE, BIOS_IRQ8_VECTOR);
    }

    /** Where a PC BIOS puts IRQ 0 (the master PIC's base). */
    static final int BIOS_IRQ0_VECTOR = 0x08;
    /** Where a PC BIOS puts IRQ 8 (the slave PIC's base). */
    static final int BIOS_IRQ8_VECTOR = 0x70;

    @Override
    public void load(GuestMemory memory, int cpus, List<VirtioMmioSlot> slots) throws IOException {
        this.cpus = cpus;
        // The tables first: they live in the reserved BIOS area, which the Multiboot placement never uses.
        if (config.acpi()) {
            AcpiTables.Tables tables = AcpiTables.build(cpus, slots, MemoryMap.MULTIBOOT_ACPI);
            tables.writeTo(memory);
            facs = tables.tables().get("FACS");
        }
        List<MultibootModule> modules = config.initrd() == null ? List.of()
                : List.of(new MultibootModule(Files.readAllBytes(config.initrd()), config.initrd().toString()));
        try {
            // The kernel's path as the user gave it is argv[0], as with GRUB and QEMU's -kernel.
            layout = new MultibootBoot(memory).load(kernel,
                    MultibootBoot.commandLine(config.kernel().toString(), config.cmdline()), modules);
        } catch (BootException e) {
            throw new MachineConfigException("kernel " + config.kernel() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every vCPU: the CPUID (with its APIC id and the vCPU count), Linux's boot MSRs (MTRRs on, write
     * back) and the legacy interrupt routing; vCPU 0 also the Multiboot entry state.
     */
    @Override
    public void configureVcpu(VcpuFd fd, Cpuid cpuid) {
        fd.setCpuid(BootCpu.cpuid(cpuid, fd.id(), cpus, new BootCpu.CpuidOptions(config.hideCx16(), config.hideXsave())));
        BootCpu.setBootMsrs(fd);
        Lapic.routeLegacyInterrupts(fd);
        if (fd.id() == 0) {
            fd.resetFpu();
            MultibootBoot.setEntryState(fd, layout);
        }
    }

    /** {@return the FACS's guest-physical address (after {@link #load}), 0 without ACPI tables} */
    long facs() {
        return facs;
    }

    /** {@return where the kernel, modules and information block went (after {@link #load})} */
    MultibootLayout layout() {
        return layout;
    }
}
