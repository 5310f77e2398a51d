package org.jvmm.core.arch;

import org.jvmm.core.kvm.Translation;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestMemoryException;

/**
 * Translates a guest linear address by reading the guest's own page tables, the way the vCPU's MMU
 * would: for hosts whose KVM lacks {@code KVM_TRANSLATE}, and to check what it says. A debugger's
 * walk: it sets no accessed or dirty bits, and reports what the tables allow instead of faulting.
 *
 * <p>The tables are guest memory, so anything may be in them: an entry pointing outside RAM, or a
 * reserved page-size bit, makes the address unmapped; no walk takes more than five reads.
 */
public final class PageWalker {

    private static final long PRESENT = 1L;
    private static final long WRITABLE = 1L << 1;
    private static final long USER = 1L << 2;
    private static final long PAGE_SIZE = 1L << 7;
    /** Physical address bits 12-51 of a 64-bit entry. */
    private static final long ADDRESS_MASK = 0x000f_ffff_ffff_f000L;
    private static final long PAGE_OFFSET = 0xfff;
    /** Outside long mode linear addresses are 32 bits: the CPU (and KVM_TRANSLATE) drop the rest. */
    private static final long LOW_32 = 0xffff_ffffL;

    private PageWalker() {}

    /**
     * Where {@code linear} lands for a vCPU with these registers.
     *
     * @param memory    guest-physical memory holding the tables
     * @param registers the vCPU's paging registers
     * @param linear    the linear (virtual) address
     * @return the translation; not valid if unmapped. Outside long mode only the low 32 bits of
     *         the address count, as for the CPU and {@code KVM_TRANSLATE}
     */
    public static Translation translate(GuestMemory memory, PagingRegisters registers, long linear) {
        try {
            return switch (registers.mode()) {
                case NONE -> new Translation(linear, linear & LOW_32, true, true, true);
                case BITS_32 -> walk32(memory, registers, linear);
                case PAE -> walkPae(memory, registers, linear);
                case LEVEL_4 -> walkLong(memory, registers.cr3(), linear, 4);
                case LEVEL_5 -> walkLong(memory, registers.cr3(), linear, 5);
            };
        } catch (GuestMemoryException e) {
            return Translation.unmapped(linear);
        }
    }

    private static Translation walk32(GuestMemory memory, PagingRegisters registers, long address) {
        long linear = address & LOW_32;
        long pde = Integer.toUnsignedLong(memory.readInt((registers.cr3() & 0xffff_f000L) + ((linear >>> 22) << 2)));
        if ((pde & PRESENT) == 0) {
            return Translation.unmapped(linear);
        }
        if ((pde & PAGE_SIZE) != 0 && (registers.cr4() & PagingRegisters.CR4_PSE) != 0) {
            // A 4 MiB page; PSE-36 puts physical address bits 32-39 in bits 13-20 of the entry.
            long physical = (pde & 0xffc0_0000L) | ((pde >>> 13) & 0xff) << 32 | (linear & 0x3f_ffff);
            return mapped(linear, physical, pde, pde);
        }
        long pte = Integer.toUnsignedLong(memory.readInt((pde & 0xffff_f000L) + (((linear >>> 12) & 0x3ff) << 2)));
        if ((pte & PRESENT) == 0) {
            return Translation.unmapped(linear);
        }
        return mapped(linear, (pte & 0xffff_f000L) | (linear & PAGE_OFFSET), pde & pte, pde & pte);
    }

    private static Translation walkPae(GuestMemory memory, PagingRegisters registers, long address) {
        long linear = address & LOW_32;
        long pdpte = memory.readLong((registers.cr3() & 0xffff_ffe0L) + ((linear >>> 30) << 3));
        if ((pdpte & PRESENT) == 0) {
            return Translation.unmapped(linear);
        }
        // PDPTEs carry no access rights in PAE paging: the walk starts from "everything allowed".
        return walkLevels(memory, pdpte & ADDRESS_MASK, linear, 2, WRITABLE | USER);
    }

    private static Translation walkLong(GuestMemory memory, long cr3, long linear, int levels) {
        int shift = 64 - (12 + 9 * levels);
        if ((linear << shift) >> shift != linear) {
            return Translation.unmapped(linear); // not canonical
        }
        return walkLevels(memory, cr3 & ADDRESS_MASK, linear, levels, WRITABLE | USER);
    }

    /**
     * Walks 64-bit entries from {@code level} (1 = page table) down.
     *
     * @param rights the WRITABLE and USER bits every level so far allowed
     */
    private static Translation walkLevels(GuestMemory memory, long table, long linear, int level, long rights) {
        for (int l = level; l >= 1; l--) {
            int indexShift = 12 + 9 * (l - 1);
            long entry = memory.readLong(table + (((linear >>> indexShift) & 0x1ff) << 3));
            if ((entry & PRESENT) == 0) {
                return Translation.unmapped(linear);
            }
            rights &= entry;
            if (l == 1) {
                return mapped(linear, (entry & ADDRESS_MASK) | (linear & PAGE_OFFSET), rights, rights);
            }
            if ((entry & PAGE_SIZE) != 0) {
                if (l > 3) {
                    return Translation.unmapped(linear); // PS is reserved in PML4Es and PML5Es
                }
                long offsetMask = (1L << indexShift) - 1; // 2 MiB at level 2, 1 GiB at level 3
                return mapped(linear, (entry & ADDRESS_MASK & ~offsetMask) | (linear & offsetMask), rights, rights);
            }
            table = entry & ADDRESS_MASK;
        }
        throw new IllegalArgumentException("level " + level);
    }

    private static Translation mapped(long linear, long physical, long writableBits, long userBits) {
        return new Translation(linear, physical, true, (writableBits & WRITABLE) != 0, (userBits & USER) != 0);
    }
}
