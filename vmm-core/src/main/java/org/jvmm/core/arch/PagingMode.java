package org.jvmm.core.arch;

/** How a vCPU translates linear addresses: the paging schemes of the x86 architecture. */
public enum PagingMode {
    /** Paging off (real mode, or protected mode with CR0.PG clear): linear = physical, 32 bits. */
    NONE,
    /** 32-bit paging: two levels of 4-byte entries, 4 KiB pages and, with CR4.PSE, 4 MiB pages. */
    BITS_32,
    /** PAE paging: four PDPTEs, then two levels of 8-byte entries; 4 KiB and 2 MiB pages. */
    PAE,
    /** Long mode, four levels (48-bit linear addresses); 4 KiB, 2 MiB and 1 GiB pages. */
    LEVEL_4,
    /** Long mode with CR4.LA57, five levels (57-bit linear addresses). */
    LEVEL_5
}
