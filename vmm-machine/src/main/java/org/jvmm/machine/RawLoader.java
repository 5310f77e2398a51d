package org.jvmm.machine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import org.jvmm.core.arch.Lapic;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * Boots a raw payload (docs/machine.md): the binary at its entry address, the parameter block, and
 * every vCPU at the entry point in real or long mode.
 */
final class RawLoader {

    private final RawPayload payload;
    private final boolean irqchip;
    /** KVM_MP_STATE_RUNNABLE. */
    private static final int MP_STATE_RUNNABLE = 0;

    RawLoader(RawPayload payload, boolean irqchip) {
        this.payload = payload;
        this.irqchip = irqchip;
    }

    /** Before RAM and vCPUs: KVM's TSS (Intel hosts) and, if asked for, the in-kernel irqchip and PIT. */
    void configureVm(VmFd vm) {
        try {
            vm.setTssAddress(MemoryMap.KVM_TSS);
        } catch (KvmException e) {
            Log.LOG.log(Level.DEBUG, "KVM_SET_TSS_ADDR refused; only Intel hosts need it: " + e.getMessage());
        }
        if (irqchip) {
            vm.createIrqChip();
            vm.createPit2();
        }
    }

    /**
     * Writes the payload and the parameter block.
     *
     * @param memory      guest RAM
     * @param ramSize     RAM in bytes
     * @param cpus        vCPU count
     * @param virtioSlots virtio-mmio slots in use
     */
    void load(GuestMemory memory, long ramSize, int cpus, int virtioSlots) {
        memory.write(payload.entry(), payload.image());
        long p = MemoryMap.PARAMS;
        memory.writeInt(p, MemoryMap.PARAMS_MAGIC);
        memory.writeInt(p + MemoryMap.PARAMS_VERSION_OFFSET, MemoryMap.PARAMS_VERSION);
        memory.writeLong(p + MemoryMap.PARAMS_MEMORY_OFFSET, ramSize);
        memory.writeInt(p + MemoryMap.PARAMS_CPUS_OFFSET, cpus);
        memory.writeInt(p + MemoryMap.PARAMS_VIRTIO_SLOTS_OFFSET, virtioSlots);
        memory.writeLong(p + MemoryMap.PARAMS_FLAGS_OFFSET, irqchip ? 1 : 0);
        long[] args = payload.args();
        for (int i = 0; i < args.length; i++) {
            memory.writeLong(p + MemoryMap.PARAMS_ARGS_OFFSET + 8L * i, args[i]);
        }
    }

    /** Sets one vCPU's CPUID and entry state, and routes the PIC to it where there is an irqchip. */
    void configureVcpu(VcpuFd fd, Cpuid supported, GuestMemory memory, long ramSize) {
        fd.setCpuid(X86Setup.cpuidFor(supported, fd.id()));
        if (payload.mode() == CpuMode.LONG) {
            long stack = MemoryMap.LONG_MODE_STACK - fd.id() * MemoryMap.STACK_STRIDE;
            X86Setup.longMode(fd, memory, MemoryMap.GDT, MemoryMap.RAW_PAGE_TABLES, 4, MemoryMap.LONG_MODE_ENTRY, stack);
            Registers regs = fd.getRegisters();
            regs.set(Register.RDI, ramSize).set(Register.RSI, fd.id()).set(Register.RDX, MemoryMap.PARAMS);
            fd.setRegisters(regs);
        } else {
            X86Setup.realMode(fd, 0, MemoryMap.REAL_MODE_ENTRY, MemoryMap.REAL_MODE_STACK);
            Registers regs = fd.getRegisters();
            regs.set(Register.RDX, fd.id());
            fd.setRegisters(regs);
        }
        if (irqchip) {
            Lapic.routeLegacyInterrupts(fd);
            // With an in-kernel LAPIC, KVM creates every vCPU but the BSP waiting for INIT/SIPI; a raw
            // payload starts all of them at its entry (docs/machine.md), so they are made runnable.
            if (fd.id() != 0) {
                fd.setMpState(MP_STATE_RUNNABLE);
            }
        }
    }

    /** {@return the guest's result words from the parameter block} */
    static long[] results(GuestMemory memory) {
        long[] results = new long[MemoryMap.RESULTS];
        for (int i = 0; i < results.length; i++) {
            results[i] = memory.readLong(MemoryMap.PARAMS + MemoryMap.PARAMS_RESULTS_OFFSET + 8L * i);
        }
        return results;
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final Logger LOG = System.getLogger(RawLoader.class.getName());
    }
}
