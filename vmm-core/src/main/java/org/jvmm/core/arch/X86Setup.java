package org.jvmm.core.arch;

import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.CpuidEntry;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.kvm.SegmentRegister;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.SpecialRegisters.Segment;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * CPU state for starting a guest in real mode, 32-bit protected mode or 64-bit long mode, set from
 * the host so the guest needs no mode-switching code; and the CPUID every vCPU gets before it runs.
 * Tables the mode needs (GDT, page tables) are written into guest memory at addresses the caller
 * chooses.
 */
public final class X86Setup {

    /** CR0.PE: protected mode. */
    public static final long CR0_PE = 1L;
    /** CR0.ET: always 1 on modern CPUs. */
    public static final long CR0_ET = 1L << 4;
    /** CR0.NE: native FPU errors. */
    public static final long CR0_NE = 1L << 5;
    /** CR0.PG: paging. */
    public static final long CR0_PG = 1L << 31;
    /** CR4.PAE: physical address extension, required for long mode. */
    public static final long CR4_PAE = 1L << 5;
    /** EFER.LME: long mode enable. */
    public static final long EFER_LME = 1L << 8;
    /** EFER.LMA: long mode active. */
    public static final long EFER_LMA = 1L << 10;
    /** RFLAGS bit 1, always set. */
    public static final long RFLAGS_RESERVED = 0x2;
    /** RFLAGS.IOPL = 3: port I/O allowed at any privilege level. */
    public static final long RFLAGS_IOPL3 = 3L << 12;

    /** GDT selector of the 64-bit (or 32-bit) kernel code segment. */
    public static final int KERNEL_CS = 0x08;
    /** GDT selector of the kernel data segment. */
    public static final int KERNEL_DS = 0x10;
    /** GDT selector of the ring-3 64-bit code segment (index 3, RPL 3). */
    public static final int USER_CS = 0x18 | 3;
    /** GDT selector of the ring-3 data segment (index 4, RPL 3). */
    public static final int USER_DS = 0x20 | 3;
    /** Size of the GDT {@link #writeGdt} writes. */
    public static final int GDT_SIZE = 5 * 8;

    private static final int CODE_TYPE = 0xb;
    private static final int DATA_TYPE = 0x3;
    private static final int BUSY_TSS_TYPE = 0xb;
    private static final int LDT_TYPE = 0x2;
    private static final int REAL_MODE_IVT_LIMIT = 0x3ff;
    private static final long PAGE = 4096;
    private static final long TWO_MIB = 2L << 20;
    private static final long PTE_PRESENT_RW_USER = 0x7;
    private static final long PDE_2MIB = 0x80;

    private X86Setup() {}

    /**
     * Real mode: all segments at {@code segment * 16}, interrupts off.
     *
     * @param vcpu    the vCPU
     * @param segment the code and data segment (0 for a boot sector at 0x7c00)
     * @param ip      the entry offset inside the segment
     * @param sp      the stack pointer
     */
    public static void realMode(VcpuFd vcpu, int segment, long ip, long sp) {
        SpecialRegisters sregs = vcpu.getSpecialRegisters();
        for (Segment s : new Segment[] {Segment.DS, Segment.ES, Segment.FS, Segment.GS, Segment.SS}) {
            sregs.segment(s, SegmentRegister.realMode(segment, false));
        }
        sregs.segment(Segment.CS, SegmentRegister.realMode(segment, true));
        sregs.cr0(sregs.cr0() & ~(CR0_PE | CR0_PG));
        vcpu.setSpecialRegisters(sregs);
        vcpu.setRegisters(new Registers().set(Register.RIP, ip).set(Register.RSP, sp));
    }

    /**
     * Real mode from any mode, as firmware leaves a CPU it jumps to an ACPI waking vector: paging,
     * protection, PAE and long mode off (CR0 = ET, CR4 = EFER = 0), code at {@code codeSegment:ip},
     * every data segment at 0, the IDT the real-mode vector table at 0, the GDT, LDT and TR as after
     * reset, every general register 0 and interrupts off.
     *
     * @param vcpu        the vCPU
     * @param codeSegment CS
     * @param ip          IP
     */
    public static void realModeFromAnyMode(VcpuFd vcpu, int codeSegment, long ip) {
        SpecialRegisters sregs = vcpu.getSpecialRegisters();
        for (Segment s : new Segment[] {Segment.DS, Segment.ES, Segment.FS, Segment.GS, Segment.SS}) {
            sregs.segment(s, SegmentRegister.realMode(0, false));
        }
        sregs.segment(Segment.CS, SegmentRegister.realMode(codeSegment, true));
        sregs.segment(Segment.TR, new SegmentRegister(0, 0xffff, 0, BUSY_TSS_TYPE, true, 0, false, false, false, false,
                false, false));
        sregs.segment(Segment.LDT, new SegmentRegister(0, 0xffff, 0, LDT_TYPE, true, 0, false, false, false, false,
                false, false));
        sregs.gdt(0, 0xffff).idt(0, REAL_MODE_IVT_LIMIT);
        sregs.cr0(CR0_ET).cr4(0).efer(0);
        vcpu.setSpecialRegisters(sregs);
        vcpu.setRegisters(new Registers().set(Register.RIP, ip).set(Register.RFLAGS, RFLAGS_RESERVED));
    }

    /**
     * Writes the flat GDT used by {@link #protectedMode} and {@link #longMode}: null, kernel code,
     * kernel data, user code, user data.
     *
     * @param memory   guest memory
     * @param gdt      guest-physical address of the GDT
     * @param longMode true for 64-bit code segments
     */
    public static void writeGdt(GuestMemory memory, long gdt, boolean longMode) {
        memory.writeLong(gdt, 0);
        memory.writeLong(gdt + 8, SegmentRegister.flat(KERNEL_CS, CODE_TYPE, 0, longMode).toDescriptor());
        memory.writeLong(gdt + 16, SegmentRegister.flat(KERNEL_DS, DATA_TYPE, 0, longMode).toDescriptor());
        memory.writeLong(gdt + 24, SegmentRegister.flat(USER_CS, CODE_TYPE, 3, longMode).toDescriptor());
        memory.writeLong(gdt + 32, SegmentRegister.flat(USER_DS, DATA_TYPE, 3, longMode).toDescriptor());
    }

    /**
     * 32-bit protected mode, flat segments, paging off.
     *
     * @param vcpu   the vCPU
     * @param memory guest memory, for the GDT
     * @param gdt    where to write the GDT
     * @param entry  the entry point
     * @param sp     the stack pointer
     */
    public static void protectedMode(VcpuFd vcpu, GuestMemory memory, long gdt, long entry, long sp) {
        writeGdt(memory, gdt, false);
        SpecialRegisters sregs = vcpu.getSpecialRegisters();
        flatSegments(sregs, false, 0);
        sregs.gdt(gdt, GDT_SIZE - 1);
        sregs.cr0((sregs.cr0() | CR0_PE | CR0_ET) & ~CR0_PG);
        vcpu.setSpecialRegisters(sregs);
        vcpu.setRegisters(new Registers().set(Register.RIP, entry).set(Register.RSP, sp));
    }

    /**
     * Writes 4-level page tables that map the first {@code gigabytes} GiB one to one with 2 MiB
     * pages, present, writable and user-accessible: PML4 at {@code base}, PDPT at base + 4 KiB,
     * page directories after it (one per GiB).
     *
     * @param memory    guest memory
     * @param base      guest-physical address of the PML4, 4 KiB aligned
     * @param gigabytes how much to map, 1 to 512
     * @return the first address after the tables
     */
    public static long writeIdentityPageTables(GuestMemory memory, long base, int gigabytes) {
        if (gigabytes < 1 || gigabytes > 512 || (base & (PAGE - 1)) != 0) {
            throw new IllegalArgumentException("identity map of " + gigabytes + " GiB at 0x" + Long.toHexString(base));
        }
        long pdpt = base + PAGE;
        long pd = pdpt + PAGE;
        memory.slice(base, PAGE * (2 + gigabytes)).fill((byte) 0);
        memory.writeLong(base, pdpt | PTE_PRESENT_RW_USER);
        for (int g = 0; g < gigabytes; g++) {
            long directory = pd + g * PAGE;
            memory.writeLong(pdpt + 8L * g, directory | PTE_PRESENT_RW_USER);
            for (int e = 0; e < 512; e++) {
                long physical = ((long) g << 30) + e * TWO_MIB;
                memory.writeLong(directory + 8L * e, physical | PTE_PRESENT_RW_USER | PDE_2MIB);
            }
        }
        return pd + gigabytes * PAGE;
    }

    /**
     * 64-bit long mode entered directly: GDT and identity-mapped page tables written to guest
     * memory, paging and long mode on, interrupts off, CPL 0.
     *
     * @param vcpu      the vCPU
     * @param memory    guest memory
     * @param gdt       where to write the GDT
     * @param pml4      where to write the page tables (see {@link #writeIdentityPageTables})
     * @param gigabytes how much to identity-map
     * @param entry     the entry point
     * @param sp        the stack pointer
     */
    public static void longMode(VcpuFd vcpu, GuestMemory memory, long gdt, long pml4, int gigabytes, long entry, long sp) {
        writeGdt(memory, gdt, true);
        writeIdentityPageTables(memory, pml4, gigabytes);
        SpecialRegisters sregs = vcpu.getSpecialRegisters();
        flatSegments(sregs, true, 0);
        sregs.gdt(gdt, GDT_SIZE - 1);
        sregs.cr3(pml4);
        sregs.cr4(sregs.cr4() | CR4_PAE);
        sregs.cr0(sregs.cr0() | CR0_PE | CR0_ET | CR0_NE | CR0_PG);
        sregs.efer(sregs.efer() | EFER_LME | EFER_LMA);
        vcpu.setSpecialRegisters(sregs);
        vcpu.setRegisters(new Registers().set(Register.RIP, entry).set(Register.RSP, sp));
    }

    /**
     * Moves a vCPU already set up by {@link #longMode} to ring 3 with IOPL 3, so guest code runs
     * natively on hosts that interpret ring 0 and may still use port I/O. The guest gets no TSS:
     * an interrupt or exception in ring 3 then shuts the VM down, so guests that take interrupts
     * set up their own TSS and IDT in ring 0 first.
     *
     * @param vcpu  the vCPU
     * @param entry the ring-3 entry point
     * @param sp    the ring-3 stack pointer
     */
    public static void dropToRing3(VcpuFd vcpu, long entry, long sp) {
        SpecialRegisters sregs = vcpu.getSpecialRegisters();
        flatSegments(sregs, true, 3);
        vcpu.setSpecialRegisters(sregs);
        Registers regs = vcpu.getRegisters();
        regs.set(Register.RIP, entry).set(Register.RSP, sp)
                .set(Register.RFLAGS, RFLAGS_RESERVED | RFLAGS_IOPL3);
        vcpu.setRegisters(regs);
    }

    private static void flatSegments(SpecialRegisters sregs, boolean longMode, int dpl) {
        int cs = dpl == 0 ? KERNEL_CS : USER_CS;
        int ds = dpl == 0 ? KERNEL_DS : USER_DS;
        sregs.segment(Segment.CS, SegmentRegister.flat(cs, CODE_TYPE, dpl, longMode));
        SegmentRegister data = SegmentRegister.flat(ds, DATA_TYPE, dpl, longMode);
        for (Segment s : new Segment[] {Segment.DS, Segment.ES, Segment.FS, Segment.GS, Segment.SS}) {
            sregs.segment(s, data);
        }
    }

    /**
     * The CPUID a vCPU should see: KVM's supported set with this vCPU's APIC id (leaf 1 EBX[31:24],
     * leaf 0xB EDX) and the hypervisor bit set.
     *
     * @param supported what {@code KVM_GET_SUPPORTED_CPUID} returned
     * @param apicId    the vCPU's APIC id
     * @return the CPUID for {@link VcpuFd#setCpuid}
     */
    public static Cpuid cpuidFor(Cpuid supported, int apicId) {
        return supported
                .edit(1, e -> e.withRegisters(e.eax(), (e.ebx() & 0x00ff_ffff) | (apicId << 24),
                        e.ecx() | Cpuid.ECX_HYPERVISOR, e.edx()))
                .edit(0xb, e -> e.withRegisters(e.eax(), e.ebx(), e.ecx(), apicId))
                .edit(0x1f, e -> e.withRegisters(e.eax(), e.ebx(), e.ecx(), apicId));
    }

    /**
     * A CPUID leaf without a feature: for hosts whose emulator lacks an instruction (CX16, XSAVE).
     *
     * @param cpuid    the set
     * @param function the leaf
     * @param register 0 EAX, 1 EBX, 2 ECX, 3 EDX
     * @param bit      the feature bit to clear
     * @return the new set
     */
    public static Cpuid withoutFeature(Cpuid cpuid, int function, int register, int bit) {
        int mask = ~(1 << bit);
        return cpuid.edit(function, e -> switch (register) {
            case 0 -> e.withRegisters(e.eax() & mask, e.ebx(), e.ecx(), e.edx());
            case 1 -> e.withRegisters(e.eax(), e.ebx() & mask, e.ecx(), e.edx());
            case 2 -> e.withRegisters(e.eax(), e.ebx(), e.ecx() & mask, e.edx());
            default -> e.withRegisters(e.eax(), e.ebx(), e.ecx(), e.edx() & mask);
        });
    }

    /**
     * Whether a leaf has a feature.
     *
     * @param entry    the leaf, or null
     * @param register 0 EAX, 1 EBX, 2 ECX, 3 EDX
     * @param bit      the bit
     * @return true if set
     */
    public static boolean hasFeature(CpuidEntry entry, int register, int bit) {
        if (entry == null) {
            return false;
        }
        int value = switch (register) {
            case 0 -> entry.eax();
            case 1 -> entry.ebx();
            case 2 -> entry.ecx();
            default -> entry.edx();
        };
        return (value & (1 << bit)) != 0;
    }
}
