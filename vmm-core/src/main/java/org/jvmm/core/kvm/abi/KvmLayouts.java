package org.jvmm.core.kvm.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The {@code <linux/kvm.h>} and {@code <asm/kvm.h>} structs jvmm uses, declared once with the
 * kernel's field names and explicit padding. A test compiles a C program against the real headers
 * and compares every size and offset with these.
 */
public final class KvmLayouts {
    private KvmLayouts() {}

    /**
     * The byte offset of a field, computed from its layout once (callers keep it in a constant).
     *
     * @param layout the struct
     * @param path   the field's name, and the names of nested fields within it
     * @return the offset from the start of the struct
     */
    public static long offset(MemoryLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = MemoryLayout.PathElement.groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }

    private static MemoryLayout u8(String name) {
        return JAVA_BYTE.withName(name);
    }

    private static MemoryLayout u16(String name) {
        return JAVA_SHORT.withName(name);
    }

    private static MemoryLayout u32(String name) {
        return JAVA_INT.withName(name);
    }

    private static MemoryLayout u64(String name) {
        return JAVA_LONG.withName(name);
    }

    /** struct kvm_userspace_memory_region. */
    public static final StructLayout USERSPACE_MEMORY_REGION = structLayout(
            u32("slot"), u32("flags"), u64("guest_phys_addr"), u64("memory_size"), u64("userspace_addr"))
            .withName("kvm_userspace_memory_region");

    /** struct kvm_regs (x86). */
    public static final StructLayout REGS = structLayout(
            u64("rax"), u64("rbx"), u64("rcx"), u64("rdx"), u64("rsi"), u64("rdi"), u64("rsp"), u64("rbp"),
            u64("r8"), u64("r9"), u64("r10"), u64("r11"), u64("r12"), u64("r13"), u64("r14"), u64("r15"),
            u64("rip"), u64("rflags")).withName("kvm_regs");

    /** struct kvm_segment. */
    public static final StructLayout SEGMENT = structLayout(
            u64("base"), u32("limit"), u16("selector"), u8("type"), u8("present"), u8("dpl"), u8("db"), u8("s"),
            u8("l"), u8("g"), u8("avl"), u8("unusable"), u8("padding")).withName("kvm_segment");

    /** struct kvm_dtable. */
    public static final StructLayout DTABLE = structLayout(
            u64("base"), u16("limit"), sequenceLayout(3, JAVA_SHORT).withName("padding")).withName("kvm_dtable");

    /** struct kvm_sregs (x86). */
    public static final StructLayout SREGS = structLayout(
            SEGMENT.withName("cs"), SEGMENT.withName("ds"), SEGMENT.withName("es"), SEGMENT.withName("fs"),
            SEGMENT.withName("gs"), SEGMENT.withName("ss"), SEGMENT.withName("tr"), SEGMENT.withName("ldt"),
            DTABLE.withName("gdt"), DTABLE.withName("idt"),
            u64("cr0"), u64("cr2"), u64("cr3"), u64("cr4"), u64("cr8"), u64("efer"), u64("apic_base"),
            sequenceLayout(4, JAVA_LONG).withName("interrupt_bitmap")).withName("kvm_sregs");

    /** struct kvm_fpu (x86). */
    public static final StructLayout FPU = structLayout(
            sequenceLayout(128, JAVA_BYTE).withName("fpr"), u16("fcw"), u16("fsw"), u8("ftwx"), u8("pad1"),
            u16("last_opcode"), u64("last_ip"), u64("last_dp"), sequenceLayout(256, JAVA_BYTE).withName("xmm"),
            u32("mxcsr"), u32("pad2")).withName("kvm_fpu");

    /** struct kvm_msr_entry. */
    public static final StructLayout MSR_ENTRY = structLayout(u32("index"), u32("reserved"), u64("data"))
            .withName("kvm_msr_entry");

    /** struct kvm_msrs, the header before the entries. */
    public static final StructLayout MSRS = structLayout(u32("nmsrs"), u32("pad")).withName("kvm_msrs");

    /** struct kvm_msr_list, the header before the indices. */
    public static final StructLayout MSR_LIST = structLayout(u32("nmsrs")).withName("kvm_msr_list");

    /** struct kvm_cpuid_entry2. */
    public static final StructLayout CPUID_ENTRY2 = structLayout(
            u32("function"), u32("index"), u32("flags"), u32("eax"), u32("ebx"), u32("ecx"), u32("edx"),
            sequenceLayout(3, JAVA_INT).withName("padding")).withName("kvm_cpuid_entry2");

    /** struct kvm_cpuid2, the header before the entries. */
    public static final StructLayout CPUID2 = structLayout(u32("nent"), u32("padding")).withName("kvm_cpuid2");

    /** struct kvm_pic_state: one 8259's registers and initialisation state, a byte each. */
    public static final StructLayout PIC_STATE = structLayout(
            u8("last_irr"), u8("irr"), u8("imr"), u8("isr"), u8("priority_add"), u8("irq_base"), u8("read_reg_select"),
            u8("poll"), u8("special_mask"), u8("init_state"), u8("auto_eoi"), u8("rotate_on_auto_eoi"),
            u8("special_fully_nested_mode"), u8("init4"), u8("elcr"), u8("elcr_mask")).withName("kvm_pic_state");

    /** struct kvm_irqchip: chip 0 is the master PIC, 1 the slave, 2 the IOAPIC (512 bytes of state each at most). */
    public static final StructLayout IRQCHIP = structLayout(u32("chip_id"), u32("pad"),
            unionLayout(sequenceLayout(512, JAVA_BYTE).withName("dummy"), PIC_STATE.withName("pic")).withName("chip"))
            .withName("kvm_irqchip");

    /** struct kvm_lapic_state. */
    public static final StructLayout LAPIC_STATE = structLayout(sequenceLayout(1024, JAVA_BYTE).withName("regs"))
            .withName("kvm_lapic_state");

    /** struct kvm_mp_state. */
    public static final StructLayout MP_STATE = structLayout(u32("mp_state")).withName("kvm_mp_state");

    /** struct kvm_interrupt: the vector KVM_INTERRUPT injects (no in-kernel irqchip). */
    public static final StructLayout INTERRUPT = structLayout(u32("irq")).withName("kvm_interrupt");

    /** struct kvm_irq_level. */
    public static final StructLayout IRQ_LEVEL = structLayout(u32("irq"), u32("level")).withName("kvm_irq_level");

    /** struct kvm_irqfd. */
    public static final StructLayout IRQFD = structLayout(
            u32("fd"), u32("gsi"), u32("flags"), u32("resamplefd"), sequenceLayout(16, JAVA_BYTE).withName("pad"))
            .withName("kvm_irqfd");

    /** struct kvm_ioeventfd. */
    public static final StructLayout IOEVENTFD = structLayout(
            u64("datamatch"), u64("addr"), u32("len"), u32("fd"), u32("flags"),
            sequenceLayout(36, JAVA_BYTE).withName("pad")).withName("kvm_ioeventfd");

    /** struct kvm_pit_config. */
    public static final StructLayout PIT_CONFIG = structLayout(u32("flags"), sequenceLayout(15, JAVA_INT).withName("pad"))
            .withName("kvm_pit_config");

    /** struct kvm_guest_debug (x86: eight debug registers). */
    public static final StructLayout GUEST_DEBUG = structLayout(
            u32("control"), u32("pad"),
            structLayout(sequenceLayout(8, JAVA_LONG).withName("debugreg")).withName("arch")).withName("kvm_guest_debug");

    /** struct kvm_translation: KVM_TRANSLATE's argument and result. */
    public static final StructLayout TRANSLATION = structLayout(
            u64("linear_address"), u64("physical_address"), u8("valid"), u8("writeable"), u8("usermode"),
            sequenceLayout(5, JAVA_BYTE).withName("pad")).withName("kvm_translation");

    /** struct kvm_debug_exit_arch (x86): the {@code debug.arch} part of a KVM_EXIT_DEBUG. */
    public static final StructLayout DEBUG_EXIT_ARCH = structLayout(
            u32("exception"), u32("pad"), u64("pc"), u64("dr6"), u64("dr7")).withName("kvm_debug_exit_arch");

    /** struct kvm_vcpu_events (x86). */
    public static final StructLayout VCPU_EVENTS = structLayout(
            structLayout(u8("injected"), u8("nr"), u8("has_error_code"), u8("pending"), u32("error_code"))
                    .withName("exception"),
            structLayout(u8("injected"), u8("nr"), u8("soft"), u8("shadow")).withName("interrupt"),
            structLayout(u8("injected"), u8("pending"), u8("masked"), u8("pad")).withName("nmi"),
            u32("sipi_vector"), u32("flags"),
            structLayout(u8("smm"), u8("pending"), u8("smm_inside_nmi"), u8("latched_init")).withName("smi"),
            structLayout(u8("pending")).withName("triple_fault"),
            sequenceLayout(26, JAVA_BYTE).withName("reserved"),
            u8("exception_has_payload"), u64("exception_payload")).withName("kvm_vcpu_events");

    /** struct kvm_stats_header. */
    public static final StructLayout STATS_HEADER = structLayout(
            u32("flags"), u32("name_size"), u32("num_desc"), u32("id_offset"), u32("desc_offset"), u32("data_offset"))
            .withName("kvm_stats_header");

    /** struct kvm_stats_desc, the fixed part before the name. */
    public static final StructLayout STATS_DESC = structLayout(
            u32("flags"), JAVA_SHORT.withName("exponent"), u16("size"), u32("offset"), u32("bucket_size"))
            .withName("kvm_stats_desc");

    private static final UnionLayout RUN_EXIT = unionLayout(
            structLayout(u64("hardware_exit_reason")).withName("hw"),
            structLayout(u64("hardware_entry_failure_reason"), u32("cpu"), paddingLayout(4)).withName("fail_entry"),
            structLayout(u32("exception"), u32("error_code")).withName("ex"),
            structLayout(u8("direction"), u8("size"), u16("port"), u32("count"), u64("data_offset")).withName("io"),
            structLayout(structLayout(u32("exception"), u32("pad"), u64("pc"), u64("dr6"), u64("dr7")).withName("arch"))
                    .withName("debug"),
            structLayout(u64("phys_addr"), sequenceLayout(8, JAVA_BYTE).withName("data"), u32("len"),
                    u8("is_write"), paddingLayout(3)).withName("mmio"),
            structLayout(u32("suberror"), u32("ndata"), sequenceLayout(16, JAVA_LONG).withName("data"))
                    .withName("internal"),
            structLayout(u32("type"), u32("ndata"), sequenceLayout(16, JAVA_LONG).withName("data"))
                    .withName("system_event"),
            sequenceLayout(256, JAVA_BYTE).withName("padding")).withName("exit");

    /**
     * kvm_run's {@code memory_fault} exit (KVM_EXIT_MEMORY_FAULT, Linux 6.8 on), kept out of
     * {@link #RUN}'s union because the headers the ABI test compiles against may predate it. It
     * sits at the start of the exit union, as every exit's data does.
     */
    public static final StructLayout MEMORY_FAULT_EXIT = structLayout(u64("flags"), u64("gpa"), u64("size"))
            .withName("kvm_memory_fault_exit");

    /** struct kvm_run; jvmm does not use the register sync area {@code s}. */
    public static final StructLayout RUN = structLayout(
            u8("request_interrupt_window"), u8("immediate_exit"), sequenceLayout(6, JAVA_BYTE).withName("padding1"),
            u32("exit_reason"), u8("ready_for_interrupt_injection"), u8("if_flag"), u16("flags"),
            u64("cr8"), u64("apic_base"), RUN_EXIT, u64("kvm_valid_regs"), u64("kvm_dirty_regs"),
            sequenceLayout(2048, JAVA_BYTE).withName("s"))
            .withName("kvm_run");
}
