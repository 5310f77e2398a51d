package org.jvmm.core.arch;

import org.jvmm.core.kvm.SpecialRegisters;

/**
 * The control registers that decide how a vCPU turns linear addresses into physical ones: CR0
 * (PE, PG), CR3 (the top table), CR4 (PSE, PAE, LA57) and EFER (LMA, NXE).
 *
 * @param cr0  CR0
 * @param cr3  CR3
 * @param cr4  CR4
 * @param efer EFER
 */
public record PagingRegisters(long cr0, long cr3, long cr4, long efer) {

    /** CR0.PG: paging on. */
    public static final long CR0_PG = 1L << 31;
    /** CR4.PSE: 4 MiB pages in 32-bit paging. */
    public static final long CR4_PSE = 1L << 4;
    /** CR4.PAE: 64-bit entries (PAE paging, and long mode). */
    public static final long CR4_PAE = 1L << 5;
    /** CR4.LA57: five-level paging in long mode. */
    public static final long CR4_LA57 = 1L << 12;
    /** EFER.LMA: long mode active. */
    public static final long EFER_LMA = 1L << 10;
    /** EFER.NXE: the execute-disable bit of page entries is honoured. */
    public static final long EFER_NXE = 1L << 11;

    /**
     * The paging registers of a vCPU.
     *
     * @param sregs its special registers
     * @return their paging part
     */
    public static PagingRegisters of(SpecialRegisters sregs) {
        return new PagingRegisters(sregs.cr0(), sregs.cr3(), sregs.cr4(), sregs.efer());
    }

    /** {@return the translation scheme these registers select} */
    public PagingMode mode() {
        if ((cr0 & CR0_PG) == 0) {
            return PagingMode.NONE;
        }
        if ((efer & EFER_LMA) != 0) {
            return (cr4 & CR4_LA57) != 0 ? PagingMode.LEVEL_5 : PagingMode.LEVEL_4;
        }
        return (cr4 & CR4_PAE) != 0 ? PagingMode.PAE : PagingMode.BITS_32;
    }
}
