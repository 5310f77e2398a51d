package org.jvmm.cli.machine;

/** The guest-physical layout of docs/machine.md, in one place. Changes here are changes to a stable ABI. */
public final class RawLayout {
    /** The GDT of a long-mode guest. */
    public static final long GDT = 0x500;
    /** The parameter block. */
    public static final long PARAMS = 0x600;
    /** Offset of the guest's results inside the parameter block. */
    public static final long RESULTS_OFFSET = 0xa0;
    /** Number of result words. */
    public static final int RESULTS = 8;
    /** Number of argument words. */
    public static final int MAX_ARGS = 16;
    /** The PML4; PDPT and page directories follow. */
    public static final long PML4 = 0x1000;
    /** Real-mode load and entry address. */
    public static final long REAL_MODE_ENTRY = 0x7c00;
    /** Real-mode initial stack pointer. */
    public static final long REAL_MODE_STACK = 0x7000;
    /** End of memory a real-mode payload may occupy (below the legacy video/BIOS area). */
    public static final long REAL_MODE_LIMIT = 0xa0000;
    /** Long-mode load and entry address. */
    public static final long LONG_MODE_ENTRY = 0x200000;
    /** Long-mode stack top of vCPU 0. */
    public static final long LONG_MODE_STACK = 0x1ff000;
    /** Stack spacing between vCPUs. */
    public static final long STACK_STRIDE = 0x10000;
    /** Start of the MMIO hole. */
    public static final long MMIO_HOLE = 0xc000_0000L;
    /** Base of virtio-mmio slot 0. */
    public static final long VIRTIO_BASE = 0xd000_0000L;
    /** Size of a virtio-mmio slot. */
    public static final long VIRTIO_SLOT_SIZE = 0x1000;
    /** GSI of virtio slot 0. */
    public static final int VIRTIO_GSI = 5;
    /** Slots available (GSIs 5 to 23 on the IOAPIC). */
    public static final int MAX_VIRTIO_SLOTS = 19;
    /** COM1's GSI. */
    public static final int COM1_GSI = 4;
    /** Smallest RAM: page tables, stacks and the 2 MiB entry point need it. */
    public static final long MIN_MEMORY = 4L << 20;
    /** Guest-physical address KVM may use for its TSS on Intel hosts (three pages). */
    public static final long KVM_TSS = 0xfffb_d000L;
    /** The parameter block's magic, "JVMM". */
    public static final int PARAMS_MAGIC = 0x4d4d_564a;

    private RawLayout() {}
}
