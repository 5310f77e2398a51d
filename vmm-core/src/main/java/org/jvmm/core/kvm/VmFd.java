package org.jvmm.core.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jvmm.core.kvm.abi.KvmIoctls;
import org.jvmm.core.kvm.abi.KvmLayouts;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * A VM: its memory slots, interrupt controllers, eventfd bindings and vCPUs. Closing it closes its
 * vCPUs, then the VM fd, then unmaps the guest RAM it adopted. Closing twice is harmless.
 */
public final class VmFd implements AutoCloseable {

    private static final int IOEVENTFD_FLAG_DATAMATCH = 1;
    private static final int IOEVENTFD_FLAG_PIO = 2;
    private static final int IOEVENTFD_FLAG_DEASSIGN = 4;
    private static final int IRQFD_FLAG_DEASSIGN = 1;
    private static final long REGION_SLOT = KvmLayouts.offset(KvmLayouts.USERSPACE_MEMORY_REGION, "slot");
    private static final long REGION_FLAGS = KvmLayouts.offset(KvmLayouts.USERSPACE_MEMORY_REGION, "flags");
    private static final long REGION_GUEST = KvmLayouts.offset(KvmLayouts.USERSPACE_MEMORY_REGION, "guest_phys_addr");
    private static final long REGION_SIZE = KvmLayouts.offset(KvmLayouts.USERSPACE_MEMORY_REGION, "memory_size");
    private static final long REGION_HOST = KvmLayouts.offset(KvmLayouts.USERSPACE_MEMORY_REGION, "userspace_addr");
    private static final long IRQ_LEVEL_IRQ = KvmLayouts.offset(KvmLayouts.IRQ_LEVEL, "irq");
    private static final long IRQ_LEVEL_LEVEL = KvmLayouts.offset(KvmLayouts.IRQ_LEVEL, "level");
    private static final long IRQFD_FD = KvmLayouts.offset(KvmLayouts.IRQFD, "fd");
    private static final long IRQFD_GSI = KvmLayouts.offset(KvmLayouts.IRQFD, "gsi");
    private static final long IRQFD_FLAGS = KvmLayouts.offset(KvmLayouts.IRQFD, "flags");
    private static final long IOEVENTFD_DATAMATCH = KvmLayouts.offset(KvmLayouts.IOEVENTFD, "datamatch");
    private static final long IOEVENTFD_ADDR = KvmLayouts.offset(KvmLayouts.IOEVENTFD, "addr");
    private static final long IOEVENTFD_LEN = KvmLayouts.offset(KvmLayouts.IOEVENTFD, "len");
    private static final long IOEVENTFD_FD = KvmLayouts.offset(KvmLayouts.IOEVENTFD, "fd");
    private static final long IOEVENTFD_FLAGS = KvmLayouts.offset(KvmLayouts.IOEVENTFD, "flags");

    private final Kvm kvm;
    private final OwnedFd fd;
    private final List<VcpuFd> vcpus = new ArrayList<>();
    private final List<AutoCloseable> adopted = new ArrayList<>();
    private final Map<Integer, MemorySegment> slots = new TreeMap<>();
    private int nextSlot;

    VmFd(Kvm kvm, OwnedFd fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    /** {@return the raw fd, for callers that need an ioctl jvmm does not wrap} */
    public int fd() {
        return fd.get();
    }

    /** {@return the KVM handle this VM came from} */
    public Kvm kvm() {
        return kvm;
    }

    private int ioctl(long request, long arg, String name) {
        CallState state = CallState.current();
        return state.check(Libc.ioctl(state, fd.get(), request, arg), name);
    }

    private int ioctl(long request, MemorySegment arg, String name) {
        CallState state = CallState.current();
        return state.check(Libc.ioctl(state, fd.get(), request, arg), name);
    }

    /**
     * {@code KVM_CHECK_EXTENSION} on the VM, which may differ from the system answer.
     *
     * @param capability the capability
     * @return 0 if absent, else a capability-specific positive value
     */
    public int checkExtension(Capability capability) {
        return ioctl(KvmIoctls.CHECK_EXTENSION, capability.code(), "KVM_CHECK_EXTENSION");
    }

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}: maps host memory into the guest.
     *
     * @param slot        the slot number
     * @param guestAddress guest-physical base
     * @param memory      host memory; must stay mapped while the VM lives
     * @param flags       KVM_MEM_* flags
     */
    public void setUserMemoryRegion(int slot, long guestAddress, MemorySegment memory, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = arena.allocate(KvmLayouts.USERSPACE_MEMORY_REGION);
            region.set(ValueLayout.JAVA_INT, REGION_SLOT, slot);
            region.set(ValueLayout.JAVA_INT, REGION_FLAGS, flags);
            region.set(ValueLayout.JAVA_LONG, REGION_GUEST, guestAddress);
            region.set(ValueLayout.JAVA_LONG, REGION_SIZE, memory.byteSize());
            region.set(ValueLayout.JAVA_LONG, REGION_HOST, memory.address());
            ioctl(KvmIoctls.SET_USER_MEMORY_REGION, region, "KVM_SET_USER_MEMORY_REGION");
        }
        synchronized (this) {
            if (memory.byteSize() == 0) {
                slots.remove(slot); // KVM deletes a slot given size 0
            } else {
                slots.put(slot, memory);
            }
        }
    }

    /**
     * {@return the host memory mapped into the guest, one segment per memory slot in slot order}
     * For accounting: which of the process's resident memory is the guest's.
     */
    public synchronized List<MemorySegment> guestMappings() {
        return List.copyOf(slots.values());
    }

    /**
     * Maps every region of {@code ram} into the guest, one slot each, and takes ownership: closing
     * the VM unmaps it.
     *
     * @param ram guest RAM
     */
    public void addRam(GuestRam ram) {
        for (GuestRegion region : ram.regions()) {
            setUserMemoryRegion(nextSlot++, region.base(), region.memory(), 0);
        }
        adopted.add(ram);
    }

    /**
     * {@code KVM_SET_TSS_ADDR}: three pages of guest-physical space KVM needs on Intel hosts.
     *
     * @param address guest-physical address outside RAM and MMIO
     */
    public void setTssAddress(long address) {
        ioctl(KvmIoctls.SET_TSS_ADDR, address, "KVM_SET_TSS_ADDR");
    }

    /**
     * {@code KVM_SET_IDENTITY_MAP_ADDR}: one page KVM needs for real mode on Intel hosts.
     *
     * @param address guest-physical address
     */
    public void setIdentityMapAddress(long address) {
        try (Arena arena = Arena.ofConfined()) {
            ioctl(KvmIoctls.SET_IDENTITY_MAP_ADDR, arena.allocateFrom(ValueLayout.JAVA_LONG, address),
                    "KVM_SET_IDENTITY_MAP_ADDR");
        }
    }

    /** {@code KVM_CREATE_IRQCHIP}: the in-kernel PIC, IOAPIC and LAPICs. Call before creating vCPUs. */
    public void createIrqChip() {
        ioctl(KvmIoctls.CREATE_IRQCHIP, 0L, "KVM_CREATE_IRQCHIP");
    }

    /** {@link #picVectorBase}'s chip: the master 8259 (IRQs 0-7). */
    public static final int PIC_MASTER = 0;
    /** {@link #picVectorBase}'s chip: the slave 8259 (IRQs 8-15). */
    public static final int PIC_SLAVE = 1;

    private static final long PIC_IRQ_BASE = KvmLayouts.IRQCHIP.byteOffset(
            MemoryLayout.PathElement.groupElement("chip"), MemoryLayout.PathElement.groupElement("pic"),
            MemoryLayout.PathElement.groupElement("irq_base"));

    /**
     * The vector an in-kernel 8259 gives its IRQ 0 (its ICW2), read with {@code KVM_GET_IRQCHIP}.
     *
     * @param chip {@link #PIC_MASTER} or {@link #PIC_SLAVE}
     * @return the base, 0 to 255 (KVM creates both PICs with 0)
     */
    public int picVectorBase(int chip) {
        try (Arena arena = Arena.ofConfined()) {
            return Byte.toUnsignedInt(getPic(arena, chip).get(ValueLayout.JAVA_BYTE, PIC_IRQ_BASE));
        }
    }

    /**
     * Sets the vector an in-kernel 8259 gives its IRQ 0, as a BIOS's ICW2 does, leaving the rest of its
     * state as it is ({@code KVM_GET_IRQCHIP}, then {@code KVM_SET_IRQCHIP}). Needs the irqchip.
     *
     * @param chip {@link #PIC_MASTER} or {@link #PIC_SLAVE}
     * @param base the vector of IRQ 0 (or 8), a multiple of 8 as the 8259 ignores the low three bits
     */
    public void setPicVectorBase(int chip, int base) {
        if ((base & ~0xf8) != 0) {
            throw new IllegalArgumentException("PIC vector base " + base + " is not a multiple of 8 below 256");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = getPic(arena, chip);
            state.set(ValueLayout.JAVA_BYTE, PIC_IRQ_BASE, (byte) base);
            ioctl(KvmIoctls.SET_IRQCHIP, state, "KVM_SET_IRQCHIP");
        }
    }

    private MemorySegment getPic(Arena arena, int chip) {
        if (chip != PIC_MASTER && chip != PIC_SLAVE) {
            throw new IllegalArgumentException("PIC chip " + chip + " is neither master (0) nor slave (1)");
        }
        MemorySegment state = arena.allocate(KvmLayouts.IRQCHIP);
        state.set(ValueLayout.JAVA_INT, 0, chip);
        ioctl(KvmIoctls.GET_IRQCHIP, state, "KVM_GET_IRQCHIP");
        return state;
    }

    /** {@code KVM_CREATE_PIT2}: the in-kernel 8254 timer. Needs the irqchip. */
    public void createPit2() {
        try (Arena arena = Arena.ofConfined()) {
            ioctl(KvmIoctls.CREATE_PIT2, arena.allocate(KvmLayouts.PIT_CONFIG), "KVM_CREATE_PIT2");
        }
    }

    /**
     * {@code KVM_IRQ_LINE}: sets the level of a GSI on the in-kernel irqchip.
     *
     * @param gsi   the interrupt line
     * @param level true to assert
     */
    public void setIrqLine(int gsi, boolean level) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment irq = arena.allocate(KvmLayouts.IRQ_LEVEL);
            irq.set(ValueLayout.JAVA_INT, IRQ_LEVEL_IRQ, gsi);
            irq.set(ValueLayout.JAVA_INT, IRQ_LEVEL_LEVEL, level ? 1 : 0);
            ioctl(KvmIoctls.IRQ_LINE, irq, "KVM_IRQ_LINE");
        }
    }

    /**
     * {@code KVM_IRQFD}: a signal on {@code eventfd} injects an edge on {@code gsi} inside KVM.
     *
     * @param eventfd the eventfd
     * @param gsi     the interrupt line
     */
    public void assignIrqFd(EventFd eventfd, int gsi) {
        irqfd(eventfd, gsi, 0);
    }

    /**
     * Undoes {@link #assignIrqFd}.
     *
     * @param eventfd the eventfd
     * @param gsi     the interrupt line
     */
    public void deassignIrqFd(EventFd eventfd, int gsi) {
        irqfd(eventfd, gsi, IRQFD_FLAG_DEASSIGN);
    }

    private void irqfd(EventFd eventfd, int gsi, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment irqfd = arena.allocate(KvmLayouts.IRQFD);
            irqfd.set(ValueLayout.JAVA_INT, IRQFD_FD, eventfd.fd());
            irqfd.set(ValueLayout.JAVA_INT, IRQFD_GSI, gsi);
            irqfd.set(ValueLayout.JAVA_INT, IRQFD_FLAGS, flags);
            ioctl(KvmIoctls.IRQFD, irqfd, "KVM_IRQFD");
        }
    }

    /**
     * {@code KVM_IOEVENTFD}: a guest write of {@code length} bytes to {@code address} signals
     * {@code eventfd} inside KVM instead of exiting to user space.
     *
     * @param eventfd   the eventfd
     * @param address   port or guest-physical address
     * @param length    access size to match: 1, 2, 4 or 8 (0 matches any size for MMIO)
     * @param pio       true for a port, false for MMIO
     * @param datamatch the value to match, or null to match any value
     */
    public void assignIoEventFd(EventFd eventfd, long address, int length, boolean pio, Long datamatch) {
        ioeventfd(eventfd, address, length, pio, datamatch, 0);
    }

    /**
     * Undoes {@link #assignIoEventFd} with the same arguments.
     *
     * @param eventfd   the eventfd
     * @param address   port or guest-physical address
     * @param length    access size
     * @param pio       true for a port
     * @param datamatch the value matched, or null
     */
    public void deassignIoEventFd(EventFd eventfd, long address, int length, boolean pio, Long datamatch) {
        ioeventfd(eventfd, address, length, pio, datamatch, IOEVENTFD_FLAG_DEASSIGN);
    }

    private void ioeventfd(EventFd eventfd, long address, int length, boolean pio, Long datamatch, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ioeventfd = arena.allocate(KvmLayouts.IOEVENTFD);
            int allFlags = flags | (pio ? IOEVENTFD_FLAG_PIO : 0) | (datamatch != null ? IOEVENTFD_FLAG_DATAMATCH : 0);
            ioeventfd.set(ValueLayout.JAVA_LONG, IOEVENTFD_DATAMATCH, datamatch == null ? 0 : datamatch);
            ioeventfd.set(ValueLayout.JAVA_LONG, IOEVENTFD_ADDR, address);
            ioeventfd.set(ValueLayout.JAVA_INT, IOEVENTFD_LEN, length);
            ioeventfd.set(ValueLayout.JAVA_INT, IOEVENTFD_FD, eventfd.fd());
            ioeventfd.set(ValueLayout.JAVA_INT, IOEVENTFD_FLAGS, allFlags);
            ioctl(KvmIoctls.IOEVENTFD, ioeventfd, "KVM_IOEVENTFD");
        }
    }

    /**
     * {@code KVM_GET_STATS_FD} on the VM: KVM's own VM-wide counters.
     *
     * @return the stats reader, owning the fd
     */
    public BinaryStats openStats() {
        return new BinaryStats(new OwnedFd(ioctl(KvmIoctls.GET_STATS_FD, 0L, "KVM_GET_STATS_FD")));
    }

    /**
     * {@code KVM_CREATE_VCPU}: creates a vCPU and maps its {@code kvm_run}.
     *
     * @param id the vCPU id (APIC id)
     * @return the vCPU, owned by this VM
     */
    public synchronized VcpuFd createVcpu(int id) {
        OwnedFd vcpuFd = new OwnedFd(ioctl(KvmIoctls.CREATE_VCPU, id, "KVM_CREATE_VCPU"));
        VcpuFd vcpu = new VcpuFd(this, id, vcpuFd, kvm.vcpuMmapSize());
        vcpus.add(vcpu);
        return vcpu;
    }

    /** {@return the vCPUs created so far} */
    public synchronized List<VcpuFd> vcpus() {
        return List.copyOf(vcpus);
    }

    /**
     * Keeps {@code resource} alive as long as the VM and closes it after the VM fd (an eventfd bound
     * to the VM, a device thread).
     *
     * @param resource what to close
     */
    public synchronized void adopt(AutoCloseable resource) {
        adopted.add(resource);
    }

    /**
     * Closes the vCPUs, the VM fd, then what the VM adopted (its RAM last). Threads still inside
     * {@code KVM_RUN} must be stopped first (see the vcpu package); closing twice is harmless.
     */
    @Override
    public synchronized void close() {
        if (!fd.isOpen()) {
            return;
        }
        RuntimeException failure = null;
        for (VcpuFd vcpu : vcpus) {
            try {
                vcpu.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        fd.close();
        for (int i = adopted.size() - 1; i >= 0; i--) {
            try {
                adopted.get(i).close();
            } catch (Exception e) {
                failure = failure != null ? failure : new IllegalStateException("closing " + adopted.get(i), e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
