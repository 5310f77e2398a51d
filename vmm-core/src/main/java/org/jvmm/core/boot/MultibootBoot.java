package org.jvmm.core.boot;

import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.kvm.SegmentRegister;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.SpecialRegisters.Segment;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * Boots a Multiboot (version 1) kernel the way the Multiboot Specification 0.6.96 asks, in two steps a
 * machine calls after mapping RAM (and, like {@link LinuxBoot}, after {@link LinuxBoot#configureVm} and
 * its ACPI tables, which live in the reserved BIOS area and so never collide with what is placed here):
 * <ol>
 *   <li>{@link #load}: the kernel's segments where it asks, each module page aligned in the lowest free
 *       RAM from 1 MiB up (below 1 MiB only if nothing above holds it), then the information block in
 *       the lowest free RAM from 0x1000 up (page 0 stays untouched: real-mode code and SMP trampolines
 *       live there). "Free" means usable in the memory map, below 4 GiB, and outside the kernel's span
 *       (its lowest segment's start to its highest segment's end) and every module, so nothing overlaps.</li>
 *   <li>{@link #setEntryState} on the boot vCPU (after its CPUID and MSRs, see {@link BootCpu}): 32-bit
 *       protected mode, paging off, flat 4 GiB code and data segments, interrupts off, EAX =
 *       {@link MultibootInfo#BOOTLOADER_MAGIC}, EBX = the information structure. The other vCPUs wait
 *       for INIT/SIPI in the in-kernel LAPIC.</li>
 * </ol>
 */
public final class MultibootBoot {

    /** The code segment selector at entry: GDT entry 1, a flat 32-bit code segment. */
    public static final int CODE_SELECTOR = 0x08;
    /** The data segment selector at entry (DS, ES, FS, GS, SS): GDT entry 2, flat 32-bit data. */
    public static final int DATA_SELECTOR = 0x10;
    /** The lowest address the information block may take. */
    public static final long INFO_LOWEST = 0x1000;
    /** The most command line (and module string) bytes jvmm passes, without the NUL. */
    public static final int MAX_STRING = 0xffff;

    private static final long PAGE = 4096;
    private static final int CODE_TYPE = 0xb;
    private static final int DATA_TYPE = 0x3;

    private final GuestMemory memory;
    private final E820Map e820;

    /**
     * Prepares to boot into {@code memory}.
     *
     * @param memory guest RAM: a region from 0 past 1 MiB, more regions above it
     */
    public MultibootBoot(GuestMemory memory) {
        this.memory = memory;
        this.e820 = E820Map.forRam(memory.regions());
    }

    /** {@return the memory map the kernel is given (the same as a Linux guest's e820 map)} */
    public E820Map e820() {
        return e820;
    }

    /**
     * The command line to pass: the kernel's name first, as GRUB and QEMU pass it, since kernels
     * (kvm-unit-tests among them) take the first word for their program name.
     *
     * @param kernelName the kernel's file name as the user gave it
     * @param arguments  the user's command line, possibly empty
     * @return {@code kernelName} alone, or followed by a space and the arguments
     */
    public static String commandLine(String kernelName, String arguments) {
        String args = arguments.strip();
        return args.isEmpty() ? kernelName : kernelName + " " + args;
    }

    /**
     * Step 1: loads the kernel and the modules and writes the information block.
     *
     * @param kernel  the parsed kernel
     * @param cmdline the whole command line (see {@link #commandLine})
     * @param modules the modules, in order (an initrd is module 0)
     * @return where everything went
     * @throws BootException KERNEL_OUTSIDE_RAM, MODULE_DOES_NOT_FIT, MULTIBOOT_INFO_DOES_NOT_FIT,
     *                       CMDLINE_TOO_LONG or CMDLINE_BAD_CHARACTER (for a module string as well)
     */
    public MultibootLayout load(MultibootKernel kernel, String cmdline, List<MultibootModule> modules) {
        checkString("command line", cmdline);
        for (MultibootModule m : modules) {
            checkString("module string", m.string());
        }
        kernel.load(memory, e820);
        // The whole span, gaps between segments included: a kernel may use those (GRUB and QEMU place
        // modules above the kernel's end for the same reason).
        FreeRam free = new FreeRam(e820);
        free.take(kernel.start(), kernel.end());
        List<MultibootLayout.Module> placed = new ArrayList<>();
        for (MultibootModule m : modules) {
            long size = Math.max(m.data().length, 1);
            long at = free.allocate(size, PAGE, E820Map.HIGH_MEMORY);
            if (at < 0) {
                at = free.allocate(size, PAGE, INFO_LOWEST);
            }
            if (at < 0) {
                throw new BootException(BootError.MODULE_DOES_NOT_FIT, String.format("module %d (\"%s\", %d bytes); RAM below 4 GiB ends at 0x%x",
                        placed.size(), m.string(), m.data().length, e820.ramEndBelow4G()));
            }
            memory.write(at, m.data());
            placed.add(new MultibootLayout.Module(at, at + m.data().length, m.string()));
        }
        MultibootInfo info = new MultibootInfo(e820, cmdline, placed);
        long base = free.allocate(info.size(), 16, INFO_LOWEST);
        if (base < 0) {
            throw new BootException(BootError.MULTIBOOT_INFO_DOES_NOT_FIT, info.size() + " bytes");
        }
        memory.write(base, info.encode(base));
        return new MultibootLayout(kernel.entry(), base, base + MultibootInfo.GDT_OFFSET, base + info.size(), placed);
    }

    /**
     * Step 2: the Multiboot entry state on the boot vCPU.
     *
     * @param vcpu   the boot vCPU
     * @param layout what {@link #load} returned
     */
    public static void setEntryState(VcpuFd vcpu, MultibootLayout layout) {
        vcpu.setSpecialRegisters(entrySpecialRegisters(vcpu.getSpecialRegisters(), layout.gdtAddress()));
        vcpu.setRegisters(entryRegisters(layout));
    }

    /**
     * The special registers at entry: CS a flat 32-bit code segment, the data segments flat 32-bit data,
     * the GDT in the information block, no IDT, CR0 = PE | ET | NE (paging and cache disabling off),
     * CR4, CR3 and EFER clear.
     *
     * @param sregs what the vCPU has now (its TR, LDT and APIC base are kept)
     * @param gdt   the GDT's address
     * @return {@code sregs}, changed
     */
    public static SpecialRegisters entrySpecialRegisters(SpecialRegisters sregs, long gdt) {
        sregs.segment(Segment.CS, SegmentRegister.flat(CODE_SELECTOR, CODE_TYPE, 0, false));
        SegmentRegister data = SegmentRegister.flat(DATA_SELECTOR, DATA_TYPE, 0, false);
        for (Segment s : new Segment[] {Segment.DS, Segment.ES, Segment.FS, Segment.GS, Segment.SS}) {
            sregs.segment(s, data);
        }
        sregs.gdt(gdt, MultibootInfo.GDT_SIZE - 1);
        sregs.idt(0, 0);
        sregs.cr0(X86Setup.CR0_PE | X86Setup.CR0_ET | X86Setup.CR0_NE);
        sregs.cr3(0);
        sregs.cr4(0);
        sregs.efer(0);
        return sregs;
    }

    /**
     * The general registers at entry: EAX = {@link MultibootInfo#BOOTLOADER_MAGIC}, EBX = the information
     * structure, EIP = the entry point, EFLAGS with IF and VM clear; the rest zero (the kernel sets up
     * its own stack).
     *
     * @param layout what {@link #load} returned
     * @return the registers
     */
    public static Registers entryRegisters(MultibootLayout layout) {
        return new Registers()
                .set(Register.RAX, Integer.toUnsignedLong(MultibootInfo.BOOTLOADER_MAGIC))
                .set(Register.RBX, layout.infoAddress())
                .set(Register.RIP, layout.entry())
                .set(Register.RFLAGS, X86Setup.RFLAGS_RESERVED);
    }

    private static void checkString(String what, String s) {
        if (s.length() > MAX_STRING) {
            throw new BootException(BootError.CMDLINE_TOO_LONG, what + " of " + s.length() + " bytes, jvmm passes at most " + MAX_STRING);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new BootException(BootError.CMDLINE_BAD_CHARACTER, String.format("%s: character 0x%02x at index %d", what, (int) c, i));
            }
        }
    }
}
