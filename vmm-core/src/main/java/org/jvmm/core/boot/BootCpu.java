package org.jvmm.core.boot;

import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.kvm.SegmentRegister;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.SpecialRegisters.Segment;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * CPU state for Linux's 64-bit entry (boot protocol, "64-bit Boot Protocol"): long mode with paging,
 * a GDT holding flat {@code __BOOT_CS} (0x10) and {@code __BOOT_DS} (0x18), CS = __BOOT_CS, DS/ES/SS =
 * __BOOT_DS, interrupts off, identity-mapped page tables covering the kernel, zero page and command
 * line, and {@code rsi} = the zero page. Also the per-vCPU CPUID and boot MSRs.
 */
public final class BootCpu {

    /** {@code __BOOT_CS}: GDT entry 2. */
    public static final int BOOT_CS = 0x10;
    /** {@code __BOOT_DS}: GDT entry 3. */
    public static final int BOOT_DS = 0x18;
    /** Bytes of the boot GDT: null, unused, __BOOT_CS, __BOOT_DS. */
    public static final int GDT_SIZE = 4 * 8;
    /** IA32_MISC_ENABLE.FAST_STRING. */
    public static final long MISC_ENABLE_FAST_STRING = 1;
    /** IA32_MTRR_DEF_TYPE: MTRRs on, default type write-back. */
    public static final long MTRR_DEF_TYPE_WB = (1L << 11) | 6;

    /** MSR indices of {@link #BOOT_MSR_VALUES}: SYSENTER_CS/ESP/EIP, STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, TSC, MISC_ENABLE, MTRRdefType. */
    private static final int[] BOOT_MSRS = {0x174, 0x175, 0x176, 0xc000_0081, 0xc000_0082, 0xc000_0083, 0xc000_0084,
        0xc000_0102, 0x10, 0x1a0, 0x2ff};
    private static final long[] BOOT_MSR_VALUES = {0, 0, 0, 0, 0, 0, 0, 0, 0, MISC_ENABLE_FAST_STRING, MTRR_DEF_TYPE_WB};
    private static final int CODE_TYPE = 0xb;
    private static final int DATA_TYPE = 0x3;
    private static final int CPUID1_ECX_CX16 = 13;
    private static final int CPUID1_ECX_XSAVE = 26;
    private static final int CPUID1_ECX_OSXSAVE = 27;

    /**
     * CPUID changes for hosts whose instruction emulator lacks an instruction the kernel would use
     * (see HOST.md: PVM interprets ring 0 and has no {@code cmpxchg16b} or XSAVE family).
     *
     * @param hideCx16  clear CPUID.1:ECX.CX16
     * @param hideXsave clear CPUID.1:ECX.XSAVE and OSXSAVE (pass {@code noxsave} as well)
     */
    public record CpuidOptions(boolean hideCx16, boolean hideXsave) {
        /** KVM's features unchanged. */
        public static final CpuidOptions NONE = new CpuidOptions(false, false);
    }

    private BootCpu() {}

    /**
     * Writes the boot GDT: entry 0 null, entry 1 unused, {@code __BOOT_CS} a flat 64-bit code segment,
     * {@code __BOOT_DS} a flat data segment.
     *
     * @param memory guest memory
     * @param gdt    where
     */
    public static void writeGdt(GuestMemory memory, long gdt) {
        memory.writeLong(gdt, 0);
        memory.writeLong(gdt + 8, 0);
        memory.writeLong(gdt + BOOT_CS, SegmentRegister.flat(BOOT_CS, CODE_TYPE, 0, true).toDescriptor());
        memory.writeLong(gdt + BOOT_DS, SegmentRegister.flat(BOOT_DS, DATA_TYPE, 0, true).toDescriptor());
    }

    /**
     * Sets the registers of the 64-bit entry: long mode with the given GDT and page tables, CS =
     * __BOOT_CS, the data segments __BOOT_DS, interrupts off, {@code rip} = entry, {@code rsi} = the
     * zero page, {@code rsp} = a scratch stack.
     *
     * @param vcpu     the boot vCPU
     * @param gdt      where {@link #writeGdt} wrote the GDT
     * @param pml4     the identity page tables' root
     * @param entry    the 64-bit entry point
     * @param zeroPage the zero page's address
     * @param stack    initial {@code rsp}
     */
    public static void setEntryState(VcpuFd vcpu, long gdt, long pml4, long entry, long zeroPage, long stack) {
        SpecialRegisters sregs = vcpu.getSpecialRegisters();
        sregs.segment(Segment.CS, SegmentRegister.flat(BOOT_CS, CODE_TYPE, 0, true));
        SegmentRegister data = SegmentRegister.flat(BOOT_DS, DATA_TYPE, 0, true);
        for (Segment s : new Segment[] {Segment.DS, Segment.ES, Segment.FS, Segment.GS, Segment.SS}) {
            sregs.segment(s, data);
        }
        sregs.gdt(gdt, GDT_SIZE - 1);
        sregs.idt(0, 0);
        sregs.cr3(pml4);
        sregs.cr4(X86Setup.CR4_PAE);
        sregs.cr0(X86Setup.CR0_PE | X86Setup.CR0_ET | X86Setup.CR0_NE | X86Setup.CR0_PG);
        sregs.efer(X86Setup.EFER_LME | X86Setup.EFER_LMA);
        vcpu.setSpecialRegisters(sregs);
        vcpu.setRegisters(new Registers()
                .set(Register.RIP, entry)
                .set(Register.RSI, zeroPage)
                .set(Register.RSP, stack)
                .set(Register.RBP, stack)
                .set(Register.RFLAGS, X86Setup.RFLAGS_RESERVED));
    }

    /**
     * The CPUID one vCPU gets: KVM's supported set with its APIC id and the hypervisor bit
     * ({@link X86Setup#cpuidFor}), the logical processor count in CPUID.1:EBX[23:16], and the
     * optional feature removals.
     *
     * @param supported what {@code KVM_GET_SUPPORTED_CPUID} returned
     * @param apicId    the vCPU's APIC id (its index)
     * @param cpus      how many vCPUs the VM has
     * @param options   features to hide
     * @return the leaves for {@link VcpuFd#setCpuid}
     */
    public static Cpuid cpuid(Cpuid supported, int apicId, int cpus, CpuidOptions options) {
        Cpuid cpuid = X86Setup.cpuidFor(supported, apicId)
                .edit(1, e -> e.withRegisters(e.eax(), (e.ebx() & 0xff00_ffff) | ((cpus & 0xff) << 16), e.ecx(), e.edx()));
        if (options.hideCx16()) {
            cpuid = X86Setup.withoutFeature(cpuid, 1, 2, CPUID1_ECX_CX16);
        }
        if (options.hideXsave()) {
            cpuid = X86Setup.withoutFeature(X86Setup.withoutFeature(cpuid, 1, 2, CPUID1_ECX_XSAVE), 1, 2, CPUID1_ECX_OSXSAVE);
        }
        return cpuid;
    }

    /**
     * Sets the MSRs a freshly reset CPU would have as firmware leaves them: SYSENTER/SYSCALL MSRs zero,
     * TSC zero, fast strings on, MTRRs on with write-back as default type (without it Linux maps all
     * memory uncached).
     *
     * @param vcpu the vCPU
     */
    public static void setBootMsrs(VcpuFd vcpu) {
        vcpu.setMsrs(BOOT_MSRS, BOOT_MSR_VALUES);
    }
}
