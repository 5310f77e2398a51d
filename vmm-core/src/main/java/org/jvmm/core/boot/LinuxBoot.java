package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import org.jvmm.core.arch.Lapic;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * The steps that turn a VM into one that boots Linux, each callable on its own so another VMM can
 * reorder or replace any of them. In order:
 * <ol>
 *   <li>{@link #configureVm}: TSS and identity-map addresses, in-kernel irqchip, PIT (before any vCPU
 *       exists), then map RAM with {@code VmFd.addRam}.</li>
 *   <li>{@link #loadKernel}: a bzImage at 1 MiB, or an ELF vmlinux at its physical addresses.</li>
 *   <li>{@link #loadInitrd}: optional, as high as the kernel allows.</li>
 *   <li>{@link #writeAcpi}: RSDP, XSDT, FADT, MADT, DSDT in the BIOS area.</li>
 *   <li>{@link #writeBootParams}: the command line and the zero page.</li>
 *   <li>{@link #writeCpuTables}: the boot GDT and identity page tables.</li>
 *   <li>{@link #configureVcpu} for each vCPU after creating it: CPUID, boot MSRs, LAPIC LINT0/1, and
 *       for vCPU 0 the 64-bit entry state. The others wait for INIT/SIPI in the in-kernel LAPIC.</li>
 * </ol>
 *
 * <p>Where each piece goes in guest-physical memory is the caller's choice, given as a {@link Layout}
 * (jvmm's machine defines its own in one memory map). The kernel's own load address comes from its
 * image, and the ACPI tables live in the legacy BIOS area, where the ACPI specification has a kernel
 * look for the RSDP.
 */
public final class LinuxBoot {

    /**
     * Where the boot puts what it writes. Everything but the TSS and identity-map page must lie in RAM
     * below the kernel and outside the BIOS area; the two KVM pages (needed on Intel hosts) belong in
     * the MMIO hole, outside RAM, as QEMU and Firecracker place them.
     *
     * @param gdt             the boot GDT ({@link BootCpu#GDT_SIZE} bytes)
     * @param zeroPage        the zero page (boot_params, 4 KiB)
     * @param stackPointer    the initial rsp
     * @param pageTables      the PML4; the PDPT and {@link #IDENTITY_MAPPED_GIB} page directories follow it
     * @param commandLine     the command line
     * @param commandLineArea the most the command line may take, NUL included
     * @param tss             KVM_SET_TSS_ADDR (three pages)
     * @param identityMap     KVM_SET_IDENTITY_MAP_ADDR (one page)
     * @param acpi            where the ACPI tables say the machine's devices are
     */
    public record Layout(long gdt, long zeroPage, long stackPointer, long pageTables, long commandLine,
                         long commandLineArea, long tss, long identityMap, AcpiTables.Layout acpi) {}

    /** How much the page tables identity-map. */
    public static final int IDENTITY_MAPPED_GIB = 4;

    private final GuestMemory memory;
    private final int cpus;
    private final Layout layout;
    private final E820Map e820;

    /**
     * Prepares to boot into {@code memory}.
     *
     * @param memory guest RAM: a region from 0 past 1 MiB, more regions above it
     * @param cpus   number of vCPUs
     * @param layout where the boot data goes
     */
    public LinuxBoot(GuestMemory memory, int cpus, Layout layout) {
        if (cpus < 1) {
            throw new IllegalArgumentException(cpus + " vCPUs");
        }
        this.memory = memory;
        this.cpus = cpus;
        this.layout = layout;
        this.e820 = E820Map.forRam(memory.regions());
    }

    /** {@return the e820 map the zero page carries} */
    public E820Map e820() {
        return e820;
    }

    /**
     * Step 1, on the VM before any vCPU exists: TSS and identity-map addresses, in-kernel irqchip
     * (PIC, IOAPIC, LAPICs) and PIT.
     *
     * @param vm     the VM
     * @param layout where the TSS and identity-map page go
     */
    public static void configureVm(VmFd vm, Layout layout) {
        vm.setTssAddress(layout.tss());
        vm.setIdentityMapAddress(layout.identityMap());
        vm.createIrqChip();
        vm.createPit2();
    }

    /**
     * Step 2: loads the kernel.
     *
     * @param image a parsed bzImage or vmlinux
     * @return where it went
     * @throws BootException KERNEL_OUTSIDE_RAM
     */
    public LoadedKernel loadKernel(KernelImage image) {
        return image.load(memory);
    }

    /**
     * Step 3 (optional): places and copies the initrd.
     *
     * @param data   the initrd
     * @param kernel the loaded kernel
     * @return where it went
     * @throws BootException INITRD_DOES_NOT_FIT
     */
    public Initrd loadInitrd(byte[] data, LoadedKernel kernel) {
        return Initrd.load(memory, data, kernel, e820);
    }

    /**
     * Step 3 (optional): places and copies the initrd, from memory (a file mapped with {@link BootFile#map}).
     *
     * @param data   the initrd
     * @param kernel the loaded kernel
     * @return where it went
     * @throws BootException INITRD_DOES_NOT_FIT
     */
    public Initrd loadInitrd(MemorySegment data, LoadedKernel kernel) {
        return Initrd.load(memory, data, kernel, e820);
    }

    /**
     * Step 4: the ACPI tables.
     *
     * @param slots virtio-mmio windows to describe
     * @return the tables, already in guest memory
     */
    public AcpiTables.Tables writeAcpi(List<VirtioMmioSlot> slots) {
        AcpiTables.Tables tables = AcpiTables.build(cpus, slots, layout.acpi());
        tables.writeTo(memory);
        return tables;
    }

    /**
     * Step 5: the command line and the zero page.
     *
     * @param kernel  the loaded kernel (its setup header goes into the zero page)
     * @param cmdline the command line
     * @param initrd  the initrd, if any
     * @param rsdp    the RSDP's address, or 0 for none
     * @return the zero page as written
     */
    public ZeroPage writeBootParams(LoadedKernel kernel, CommandLine cmdline, Optional<Initrd> initrd, long rsdp) {
        byte[] line = cmdline.toBytes();
        if (line.length > layout.commandLineArea()) {
            throw new BootException(BootError.CMDLINE_TOO_LONG, line.length + " bytes, the layout reserves "
                    + layout.commandLineArea());
        }
        memory.write(layout.commandLine(), line);
        ZeroPage page = new ZeroPage(kernel.header()).commandLine(layout.commandLine()).e820(e820);
        initrd.ifPresent(page::ramdisk);
        if (rsdp != 0) {
            page.acpiRsdp(rsdp);
        }
        page.writeTo(memory, layout.zeroPage());
        return page;
    }

    /** Step 6: the boot GDT and the identity page tables. */
    public void writeCpuTables() {
        BootCpu.writeGdt(memory, layout.gdt());
        X86Setup.writeIdentityPageTables(memory, layout.pageTables(), IDENTITY_MAPPED_GIB);
    }

    /**
     * Step 7, for each vCPU after {@code createVcpu}: CPUID, boot MSRs, LAPIC LINT0 ExtINT / LINT1 NMI,
     * and for vCPU 0 the registers of the 64-bit entry.
     *
     * @param vcpu      the vCPU (its id is its APIC id)
     * @param supported KVM's supported CPUID
     * @param options   CPUID features to hide
     * @param kernel    the loaded kernel (its entry point)
     */
    public void configureVcpu(VcpuFd vcpu, Cpuid supported, BootCpu.CpuidOptions options, LoadedKernel kernel) {
        vcpu.setCpuid(BootCpu.cpuid(supported, vcpu.id(), cpus, options));
        BootCpu.setBootMsrs(vcpu);
        Lapic.routeLegacyInterrupts(vcpu);
        if (vcpu.id() == 0) {
            vcpu.resetFpu();
            BootCpu.setEntryState(vcpu, layout.gdt(), layout.pageTables(), kernel.entry64(), layout.zeroPage(),
                    layout.stackPointer());
        }
    }
}
