package org.jvmm.core.boot;

import java.util.List;
import java.util.Optional;
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
 *   <li>{@link #writeAcpi}: RSDP, XSDT, FADT, MADT, DSDT at 0xE0000.</li>
 *   <li>{@link #writeBootParams}: the command line and the zero page.</li>
 *   <li>{@link #writeCpuTables}: the boot GDT and identity page tables.</li>
 *   <li>{@link #configureVcpu} for each vCPU after creating it: CPUID, boot MSRs, LAPIC LINT0/1, and
 *       for vCPU 0 the 64-bit entry state. The others wait for INIT/SIPI in the in-kernel LAPIC.</li>
 * </ol>
 *
 * <p>Guest-physical layout below 1 MiB (all inside RAM the e820 map marks usable, except the ACPI area):
 * <table>
 *   <caption>Low memory</caption>
 *   <tr><th>address</th><th>what</th></tr>
 *   <tr><td>0x500</td><td>boot GDT (null, unused, __BOOT_CS 0x10, __BOOT_DS 0x18)</td></tr>
 *   <tr><td>0x7000</td><td>zero page (boot_params)</td></tr>
 *   <tr><td>0x8ff0</td><td>initial rsp (grows down towards the zero page's end)</td></tr>
 *   <tr><td>0x9000-0xefff</td><td>page tables: PML4, PDPT, 4 page directories mapping 4 GiB 1:1</td></tr>
 *   <tr><td>0x20000</td><td>kernel command line</td></tr>
 *   <tr><td>0xe0000-0xfffff</td><td>ACPI tables (reserved in e820)</td></tr>
 *   <tr><td>0x100000</td><td>bzImage protected-mode code</td></tr>
 * </table>
 * The TSS (three pages at 0xfffbd000) and identity-map page (0xfffbc000) KVM needs on Intel hosts sit
 * in the MMIO hole, outside RAM, where QEMU and Firecracker put them.
 */
public final class LinuxBoot {

    /** The boot GDT. */
    public static final long GDT_ADDRESS = 0x500;
    /** The zero page. */
    public static final long ZERO_PAGE_ADDRESS = 0x7000;
    /** The initial stack pointer. */
    public static final long STACK_POINTER = 0x8ff0;
    /** The PML4; the PDPT and page directories follow it. */
    public static final long PML4_ADDRESS = 0x9000;
    /** How much the page tables identity-map. */
    public static final int IDENTITY_MAPPED_GIB = 4;
    /** The command line. */
    public static final long CMDLINE_ADDRESS = 0x2_0000;
    /** The most the command line area holds, NUL included. */
    public static final long CMDLINE_AREA = 0x1_0000;
    /** KVM_SET_TSS_ADDR. */
    public static final long TSS_ADDRESS = 0xfffb_d000L;
    /** KVM_SET_IDENTITY_MAP_ADDR. */
    public static final long IDENTITY_MAP_ADDRESS = 0xfffb_c000L;

    private final GuestMemory memory;
    private final int cpus;
    private final E820Map e820;

    /**
     * Prepares to boot into {@code memory}.
     *
     * @param memory guest RAM: a region from 0 past 1 MiB, more regions above it
     * @param cpus   number of vCPUs
     */
    public LinuxBoot(GuestMemory memory, int cpus) {
        if (cpus < 1) {
            throw new IllegalArgumentException(cpus + " vCPUs");
        }
        this.memory = memory;
        this.cpus = cpus;
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
     * @param vm the VM
     */
    public static void configureVm(VmFd vm) {
        vm.setTssAddress(TSS_ADDRESS);
        vm.setIdentityMapAddress(IDENTITY_MAP_ADDRESS);
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
     * Step 4: the ACPI tables.
     *
     * @param slots virtio-mmio windows to describe
     * @return the tables, already in guest memory
     */
    public AcpiTables.Tables writeAcpi(List<VirtioMmioSlot> slots) {
        AcpiTables.Tables tables = AcpiTables.build(cpus, slots);
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
        if (line.length > CMDLINE_AREA) {
            throw new BootException(BootError.CMDLINE_TOO_LONG, line.length + " bytes, jvmm reserves " + CMDLINE_AREA);
        }
        memory.write(CMDLINE_ADDRESS, line);
        ZeroPage page = new ZeroPage(kernel.header()).commandLine(CMDLINE_ADDRESS).e820(e820);
        initrd.ifPresent(page::ramdisk);
        if (rsdp != 0) {
            page.acpiRsdp(rsdp);
        }
        page.writeTo(memory, ZERO_PAGE_ADDRESS);
        return page;
    }

    /** Step 6: the boot GDT and the identity page tables. */
    public void writeCpuTables() {
        BootCpu.writeGdt(memory, GDT_ADDRESS);
        X86Setup.writeIdentityPageTables(memory, PML4_ADDRESS, IDENTITY_MAPPED_GIB);
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
        BootCpu.setLegacyLints(vcpu);
        if (vcpu.id() == 0) {
            vcpu.resetFpu();
            BootCpu.setEntryState(vcpu, GDT_ADDRESS, PML4_ADDRESS, kernel.entry64(), ZERO_PAGE_ADDRESS, STACK_POINTER);
        }
    }
}
