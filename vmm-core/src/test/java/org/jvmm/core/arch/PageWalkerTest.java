package org.jvmm.core.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;
import org.jvmm.core.kvm.Translation;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;
import org.junit.jupiter.api.Test;

/**
 * Page tables written entry by entry into a 1 MiB test memory, walked in every paging mode, with
 * the expected physical addresses worked out by hand.
 */
class PageWalkerTest {

    private static final long P = 1, RW = 2, US = 4, PS = 0x80;
    private static final long NX = 1L << 63;
    private static final long PG = PagingRegisters.CR0_PG | 1;

    private final RegionGuestMemory memory = new RegionGuestMemory(
            List.of(new GuestRegion(0, Arena.ofAuto().allocate(1 << 20, 4096))));

    private Translation walk(long cr0, long cr3, long cr4, long efer, long linear) {
        return PageWalker.translate(memory, new PagingRegisters(cr0, cr3, cr4, efer), linear);
    }

    private static void assertMapped(long physical, boolean writeable, boolean user, Translation t) {
        assertTrue(t.valid(), () -> "0x" + Long.toHexString(t.linearAddress()) + " unmapped");
        assertEquals(physical, t.physicalAddress(), () -> "physical of 0x" + Long.toHexString(t.linearAddress())
                + ": 0x" + Long.toHexString(t.physicalAddress()));
        assertEquals(writeable, t.writeable(), "writeable");
        assertEquals(user, t.usermode(), "usermode");
    }

    @Test
    void withoutPagingLinearIsPhysicalIn32Bits() {
        assertMapped(0x7c00, true, true, walk(0x10, 0, 0, 0, 0x7c00));     // real mode
        assertMapped(0xffff_fff0L, true, true, walk(1, 0x1000, 0, 0, 0xffff_fff0L)); // protected, PG clear
        assertMapped(0x10, true, true, walk(1, 0, 0, 0, (1L << 32) + 0x10)); // the CPU wraps at 4 GiB
        assertEquals(PagingMode.NONE, new PagingRegisters(1, 0, PagingRegisters.CR4_PAE, 0).mode());
    }

    @Test
    void thirtyTwoBitPagingWith4KiBAnd4MiBPages() {
        long cr3 = 0x1000;
        // 0x00403abc: directory index 1, table index 3.
        memory.writeInt(cr3 + 1 * 4, (int) (0x2000 | P | RW | US));
        memory.writeInt(0x2000 + 3 * 4, (int) (0x0005_5000L | P | US));          // read-only for the guest
        // 0x80123456: directory index 0x200, a 4 MiB page at 0x1_2340_0000 (PSE-36: bits 13-20 = 0x01).
        memory.writeInt(cr3 + 0x200 * 4, (int) (0x0040_0000L | 0x01L << 13 | P | RW | PS));
        memory.writeInt(cr3 + 0x3ff * 4, (int) (0x3000 | RW));                    // not present

        long cr4 = PagingRegisters.CR4_PSE;
        assertEquals(PagingMode.BITS_32, new PagingRegisters(PG, cr3, cr4, 0).mode());
        assertMapped(0x55abc, false, true, walk(PG, cr3, cr4, 0, 0x0040_3abcL));
        assertMapped(0x1_0040_0000L | 0x12_3456, true, false, walk(PG, cr3, cr4, 0, 0x8012_3456L));
        assertFalse(walk(PG, cr3, cr4, 0, 0xffc0_0000L).valid(), "directory entry not present");
        assertFalse(walk(PG, cr3, cr4, 0, 0x0040_4000L).valid(), "table entry not present");
        // Without CR4.PSE the PS bit is ignored and the entry points at a page table (at 0x400000,
        // outside this memory): unmapped, not an exception.
        assertFalse(walk(PG, cr3, 0, 0, 0x8012_3456L).valid());
        assertMapped(0x55abc, false, true, walk(PG, cr3, cr4, 0, 0x1_0040_3abcL)); // only 32 bits count
    }

    @Test
    void paePagingWith4KiBAnd2MiBPages() {
        long cr3 = 0x1020; // 32-byte aligned, not page aligned
        // 0xc0201234: PDPTE 3, directory index 1, table index 1.
        memory.writeLong(cr3 + 3 * 8, 0x2000 | P);
        memory.writeLong(0x2000 + 1 * 8, 0x3000 | P | RW);
        memory.writeLong(0x3000 + 1 * 8, NX | 0x1_2345_6000L | P | RW | US);
        // 0x40654321: PDPTE 1, directory index 3, a 2 MiB page at 0x8_0060_0000.
        memory.writeLong(cr3 + 1 * 8, 0x4000 | P);
        memory.writeLong(0x4000 + 3 * 8, 0x8_0060_0000L | P | RW | US | PS);

        long cr4 = PagingRegisters.CR4_PAE;
        assertEquals(PagingMode.PAE, new PagingRegisters(PG, cr3, cr4, 0).mode());
        assertMapped(0x1_2345_6234L, true, false, walk(PG, cr3, cr4, 0, 0xc020_1234L));
        assertMapped(0x8_0060_0000L | 0x05_4321, true, true, walk(PG, cr3, cr4, 0, 0x4065_4321L));
        assertFalse(walk(PG, cr3, cr4, 0, 0x0000_1000L).valid(), "PDPTE 0 not present");
        assertFalse(walk(PG, cr3, cr4, 0, 0xc020_2000L).valid(), "table entry not present");
        assertMapped(0x1_2345_6234L, true, false, walk(PG, cr3, cr4, 0, 0xf_c020_1234L)); // only 32 bits count
    }

    @Test
    void longModeFourLevelsWith4KiB2MiBAnd1GiBPages() {
        long efer = PagingRegisters.EFER_LMA | PagingRegisters.EFER_NXE;
        long cr4 = PagingRegisters.CR4_PAE;
        long cr3 = 0x1000 | 0x005; // PCID 5 in the low bits
        // 0xffff8000_00201abc: PML4 0x100, PDPT 0, PD 1, PT 1.
        memory.writeLong(0x1000 + 0x100 * 8, 0x2000 | P | RW);
        memory.writeLong(0x2000, 0x3000 | P | RW);
        memory.writeLong(0x3000 + 8, 0x4000 | P | RW);
        memory.writeLong(0x4000 + 8, NX | 0x0009_f000L | P | RW);
        // 0x00000000_40123456: PML4 0, PDPT 1, a 1 GiB page at 0x2_4000_0000.
        memory.writeLong(0x1000, 0x5000 | P | RW | US);
        memory.writeLong(0x5000 + 8, 0x2_4000_0000L | P | US | PS);
        // 0x00000000_00a54321: PML4 0, PDPT 0, PD 5, a 2 MiB page at 0x60_0000 with the PAT bit (12) set.
        memory.writeLong(0x5000, 0x6000 | P | RW | US);
        memory.writeLong(0x6000 + 5 * 8, 0x60_0000L | 1L << 12 | P | RW | US | PS);
        // PML4 1 has PS set, which is reserved there.
        memory.writeLong(0x1000 + 8, 0x4000_0000L | P | RW | PS);
        // PML4 2 points at a PDPT outside this memory.
        memory.writeLong(0x1000 + 16, 0x40_0000_0000L | P | RW);

        assertEquals(PagingMode.LEVEL_4, new PagingRegisters(PG, cr3, cr4, efer).mode());
        assertMapped(0x9fabc, true, false, walk(PG, cr3, cr4, efer, 0xffff_8000_0020_1abcL));
        assertMapped(0x2_4000_0000L | 0x12_3456, false, true, walk(PG, cr3, cr4, efer, 0x4012_3456L));
        assertMapped(0x60_0000L | 0x5_4321, true, true, walk(PG, cr3, cr4, efer, 0xa5_4321L));
        assertFalse(walk(PG, cr3, cr4, efer, 0x0000_8000_0000_0000L).valid(), "not canonical");
        assertFalse(walk(PG, cr3, cr4, efer, 0xffff_7fff_ffff_f000L).valid(), "not canonical");
        assertFalse(walk(PG, cr3, cr4, efer, 0x80_0000_0000L).valid(), "PS in a PML4 entry");
        assertFalse(walk(PG, cr3, cr4, efer, 0x100_0000_0000L).valid(), "table outside RAM");
        assertFalse(walk(PG, cr3, cr4, efer, 0xffff_8000_0020_2000L).valid(), "table entry not present");
    }

    @Test
    void longModeFiveLevels() {
        long efer = PagingRegisters.EFER_LMA;
        long cr4 = PagingRegisters.CR4_PAE | PagingRegisters.CR4_LA57;
        long cr3 = 0x1000;
        // 0x0001_0000_0000_1234 is canonical only with 57 bits: PML5 index 1, then zeros.
        memory.writeLong(0x1000 + 8, 0x2000 | P | RW | US);
        memory.writeLong(0x2000, 0x3000 | P | RW | US);
        memory.writeLong(0x3000, 0x4000 | P | RW | US);
        memory.writeLong(0x4000, 0x5000 | P | RW | US);
        memory.writeLong(0x5000 + 1 * 8, 0x7_7777_7000L | P | RW | US);

        assertEquals(PagingMode.LEVEL_5, new PagingRegisters(PG, cr3, cr4, efer).mode());
        assertMapped(0x7_7777_7234L, true, true, walk(PG, cr3, cr4, efer, 0x0001_0000_0000_1234L));
        assertFalse(walk(PG, cr3, cr4 & ~PagingRegisters.CR4_LA57, efer, 0x0001_0000_0000_1234L).valid(),
                "not canonical with four levels");
        assertFalse(walk(PG, cr3, cr4, efer, 0x0100_0000_0000_0000L).valid(), "not canonical with five");
    }
}
