package org.jvmm.core.testing;

import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.vcpu.ExitDispatcher;

/**
 * A bare VM for guest tests: KVM, a VM with RAM at 0, a port bus and an MMIO bus, and vCPUs with
 * KVM's supported CPUID. Addresses follow docs/machine.md: real-mode code at 0x7c00, the long-mode
 * GDT at 0x500, page tables at 0x1000, long-mode code at 0x200000.
 */
public final class TestMachine implements AutoCloseable {
    /** Real-mode load address. */
    public static final long REAL_MODE_ENTRY = 0x7c00;
    /** Long-mode GDT. */
    public static final long GDT = 0x500;
    /** Long-mode PML4. */
    public static final long PML4 = 0x1000;
    /** Long-mode load address. */
    public static final long LONG_MODE_ENTRY = 0x20_0000;
    /** Long-mode stack top. */
    public static final long LONG_MODE_STACK = 0x1f_f000;

    public final Kvm kvm;
    public final VmFd vm;
    public final GuestMemory memory;
    public final Bus pio = new Bus("pio");
    public final Bus mmio = new Bus("mmio");

    private TestMachine(Kvm kvm, VmFd vm, GuestMemory memory) {
        this.kvm = kvm;
        this.vm = vm;
        this.memory = memory;
    }

    /**
     * Creates the VM.
     *
     * @param ramBytes RAM at guest address 0
     * @return the machine
     */
    public static TestMachine create(long ramBytes) {
        Kvm kvm = Kvm.open();
        VmFd vm = null;
        GuestRam ram = null;
        try {
            vm = kvm.createVm();
            ram = GuestRam.allocate(ramBytes);
            vm.addRam(ram);
            return new TestMachine(kvm, vm, ram.memory());
        } catch (RuntimeException e) {
            if (vm != null) {
                vm.close();
            }
            if (ram != null) {
                ram.close();
            }
            kvm.close();
            throw e;
        }
    }

    /**
     * Registers a device on the port bus.
     *
     * @param name   its name
     * @param port   first port
     * @param count  number of ports
     * @param device the device
     * @return the device
     * @param <D> its type
     */
    public <D extends BusDevice> D port(String name, int port, int count, D device) {
        pio.register(name, new AddressRange(port, count), device);
        return device;
    }

    /**
     * Registers a device on the MMIO bus.
     *
     * @param name    its name
     * @param address first address
     * @param size    size of the range
     * @param device  the device
     * @return the device
     * @param <D> its type
     */
    public <D extends BusDevice> D mmio(String name, long address, long size, D device) {
        mmio.register(name, new AddressRange(address, size), device);
        return device;
    }

    /**
     * Creates a vCPU with KVM's supported CPUID for its id.
     *
     * @param id the vCPU id
     * @return the vCPU
     */
    public VcpuFd vcpu(int id) {
        VcpuFd vcpu = vm.createVcpu(id);
        vcpu.setCpuid(X86Setup.cpuidFor(kvm.supportedCpuid(), id));
        return vcpu;
    }

    /**
     * A real-mode vCPU whose code is at {@link #REAL_MODE_ENTRY}.
     *
     * @param id   the vCPU id
     * @param code the machine code
     * @return the vCPU
     */
    public VcpuFd realModeVcpu(int id, byte[] code) {
        return realModeVcpu(id, REAL_MODE_ENTRY, code);
    }

    /**
     * A real-mode vCPU (segment 0) whose code is at {@code entry}.
     *
     * @param id    the vCPU id
     * @param entry where the code goes, below 64 KiB
     * @param code  the machine code
     * @return the vCPU
     */
    public VcpuFd realModeVcpu(int id, long entry, byte[] code) {
        memory.write(entry, code);
        VcpuFd vcpu = vcpu(id);
        X86Setup.realMode(vcpu, 0, entry, 0x7000);
        return vcpu;
    }

    /**
     * A 64-bit vCPU entered directly in long mode with the first 4 GiB identity-mapped, code at
     * {@link #LONG_MODE_ENTRY}.
     *
     * @param id   the vCPU id
     * @param code the machine code
     * @return the vCPU
     */
    public VcpuFd longModeVcpu(int id, byte[] code) {
        memory.write(LONG_MODE_ENTRY, code);
        VcpuFd vcpu = vcpu(id);
        X86Setup.longMode(vcpu, memory, GDT, PML4, 4, LONG_MODE_ENTRY, LONG_MODE_STACK);
        return vcpu;
    }

    /**
     * A dispatcher over this machine's buses with fresh accounting; create it after the devices.
     *
     * @param vcpu the vCPU index for the accounting
     * @return the dispatcher
     */
    public ExitDispatcher dispatcher(int vcpu) {
        return new ExitDispatcher(pio, mmio, new ExitStats(vcpu, mmio.entries().size()));
    }

    @Override
    public void close() {
        try {
            vm.close();
        } finally {
            kvm.close();
        }
    }
}
