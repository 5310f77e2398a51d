package org.jvmm.core.kvm.abi;

import static org.jvmm.core.sys.Ioctl.io;
import static org.jvmm.core.sys.Ioctl.ior;
import static org.jvmm.core.sys.Ioctl.iow;
import static org.jvmm.core.sys.Ioctl.iowr;

/**
 * Every KVM ioctl jvmm issues, computed from the encoding rules and the struct sizes in
 * {@link KvmLayouts}, never typed as literals. A test checks each against the C headers.
 */
public final class KvmIoctls {
    private static final int KVMIO = 0xAE;

    private KvmIoctls() {}

    /** KVM_GET_API_VERSION (system). */
    public static final long GET_API_VERSION = io(KVMIO, 0x00);
    /** KVM_CREATE_VM (system). */
    public static final long CREATE_VM = io(KVMIO, 0x01);
    /** KVM_GET_MSR_INDEX_LIST (system). */
    public static final long GET_MSR_INDEX_LIST = iowr(KVMIO, 0x02, KvmLayouts.MSR_LIST.byteSize());
    /** KVM_CHECK_EXTENSION (system and VM). */
    public static final long CHECK_EXTENSION = io(KVMIO, 0x03);
    /** KVM_GET_VCPU_MMAP_SIZE (system). */
    public static final long GET_VCPU_MMAP_SIZE = io(KVMIO, 0x04);
    /** KVM_GET_SUPPORTED_CPUID (system). */
    public static final long GET_SUPPORTED_CPUID = iowr(KVMIO, 0x05, KvmLayouts.CPUID2.byteSize());

    /** KVM_CREATE_VCPU (VM). */
    public static final long CREATE_VCPU = io(KVMIO, 0x41);
    /** KVM_SET_USER_MEMORY_REGION (VM). */
    public static final long SET_USER_MEMORY_REGION = iow(KVMIO, 0x46, KvmLayouts.USERSPACE_MEMORY_REGION.byteSize());
    /** KVM_SET_TSS_ADDR (VM). */
    public static final long SET_TSS_ADDR = io(KVMIO, 0x47);
    /** KVM_SET_IDENTITY_MAP_ADDR (VM). */
    public static final long SET_IDENTITY_MAP_ADDR = iow(KVMIO, 0x48, Long.BYTES);
    /** KVM_CREATE_IRQCHIP (VM). */
    public static final long CREATE_IRQCHIP = io(KVMIO, 0x60);
    /** KVM_IRQ_LINE (VM). */
    public static final long IRQ_LINE = iow(KVMIO, 0x61, KvmLayouts.IRQ_LEVEL.byteSize());
    /** KVM_IRQFD (VM). */
    public static final long IRQFD = iow(KVMIO, 0x76, KvmLayouts.IRQFD.byteSize());
    /** KVM_GET_IRQCHIP (VM). */
    public static final long GET_IRQCHIP = iowr(KVMIO, 0x62, KvmLayouts.IRQCHIP.byteSize());
    /** KVM_SET_IRQCHIP (VM; _IOR in the header, though it writes). */
    public static final long SET_IRQCHIP = ior(KVMIO, 0x63, KvmLayouts.IRQCHIP.byteSize());
    /** KVM_CREATE_PIT2 (VM). */
    public static final long CREATE_PIT2 = iow(KVMIO, 0x77, KvmLayouts.PIT_CONFIG.byteSize());
    /** KVM_IOEVENTFD (VM). */
    public static final long IOEVENTFD = iow(KVMIO, 0x79, KvmLayouts.IOEVENTFD.byteSize());
    /** KVM_GET_STATS_FD (VM and vCPU). */
    public static final long GET_STATS_FD = io(KVMIO, 0xce);

    /** KVM_RUN (vCPU). */
    public static final long RUN = io(KVMIO, 0x80);
    /** KVM_GET_REGS (vCPU). */
    public static final long GET_REGS = ior(KVMIO, 0x81, KvmLayouts.REGS.byteSize());
    /** KVM_SET_REGS (vCPU). */
    public static final long SET_REGS = iow(KVMIO, 0x82, KvmLayouts.REGS.byteSize());
    /** KVM_GET_SREGS (vCPU). */
    public static final long GET_SREGS = ior(KVMIO, 0x83, KvmLayouts.SREGS.byteSize());
    /** KVM_SET_SREGS (vCPU). */
    public static final long SET_SREGS = iow(KVMIO, 0x84, KvmLayouts.SREGS.byteSize());
    /** KVM_TRANSLATE (vCPU). */
    public static final long TRANSLATE = iowr(KVMIO, 0x85, KvmLayouts.TRANSLATION.byteSize());
    /** KVM_INTERRUPT (vCPU). */
    public static final long INTERRUPT = iow(KVMIO, 0x86, KvmLayouts.INTERRUPT.byteSize());
    /** KVM_GET_MSRS (vCPU). */
    public static final long GET_MSRS = iowr(KVMIO, 0x88, KvmLayouts.MSRS.byteSize());
    /** KVM_SET_MSRS (vCPU). */
    public static final long SET_MSRS = iow(KVMIO, 0x89, KvmLayouts.MSRS.byteSize());
    /** KVM_GET_FPU (vCPU). */
    public static final long GET_FPU = ior(KVMIO, 0x8c, KvmLayouts.FPU.byteSize());
    /** KVM_SET_FPU (vCPU). */
    public static final long SET_FPU = iow(KVMIO, 0x8d, KvmLayouts.FPU.byteSize());
    /** KVM_GET_LAPIC (vCPU). */
    public static final long GET_LAPIC = ior(KVMIO, 0x8e, KvmLayouts.LAPIC_STATE.byteSize());
    /** KVM_SET_LAPIC (vCPU). */
    public static final long SET_LAPIC = iow(KVMIO, 0x8f, KvmLayouts.LAPIC_STATE.byteSize());
    /** KVM_SET_CPUID2 (vCPU). */
    public static final long SET_CPUID2 = iow(KVMIO, 0x90, KvmLayouts.CPUID2.byteSize());
    /** KVM_GET_MP_STATE (vCPU). */
    public static final long GET_MP_STATE = ior(KVMIO, 0x98, KvmLayouts.MP_STATE.byteSize());
    /** KVM_SET_MP_STATE (vCPU). */
    public static final long SET_MP_STATE = iow(KVMIO, 0x99, KvmLayouts.MP_STATE.byteSize());
    /** KVM_SET_GUEST_DEBUG (vCPU). */
    public static final long SET_GUEST_DEBUG = iow(KVMIO, 0x9b, KvmLayouts.GUEST_DEBUG.byteSize());
    /** KVM_GET_VCPU_EVENTS (vCPU). */
    public static final long GET_VCPU_EVENTS = ior(KVMIO, 0x9f, KvmLayouts.VCPU_EVENTS.byteSize());
    /** KVM_SET_VCPU_EVENTS (vCPU). */
    public static final long SET_VCPU_EVENTS = iow(KVMIO, 0xa0, KvmLayouts.VCPU_EVENTS.byteSize());
}
