package org.jvmm.core.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.util.List;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.CpuidEntry;
import org.jvmm.core.kvm.SegmentRegister;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class X86SetupTest {

    private final Arena arena = Arena.ofConfined();
    private final RegionGuestMemory memory = new RegionGuestMemory(List.of(new GuestRegion(0, arena.allocate(0x10_0000, 4096))));

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void identityPageTablesMapEveryTwoMebibytePageToItself() {
        memory.writeLong(0x1000 + 8 * 511, 0xdead); // stale data the writer must clear
        long end = X86Setup.writeIdentityPageTables(memory, 0x1000, 4);
        assertEquals(0x1000 + 6 * 4096, end, "PML4, PDPT, four page directories");
        assertEquals(0x2000 | 0x7, memory.readLong(0x1000), "PML4[0] -> PDPT, present|rw|user");
        for (int i = 1; i < 512; i++) {
            assertEquals(0, memory.readLong(0x1000 + 8L * i), "PML4[" + i + "]");
        }
        for (int g = 0; g < 4; g++) {
            assertEquals((0x3000 + g * 4096L) | 0x7, memory.readLong(0x2000 + 8L * g), "PDPT[" + g + "]");
        }
        assertEquals(0, memory.readLong(0x2000 + 8 * 4), "PDPT[4] is not present");
        for (int g = 0; g < 4; g++) {
            for (int e = 0; e < 512; e++) {
                long physical = ((long) g << 30) | ((long) e << 21);
                assertEquals(physical | 0x87, memory.readLong(0x3000 + g * 4096L + 8L * e), "PD " + g + "[" + e + "]");
            }
        }
        // 0xd0000000 (an MMIO slot) is reachable: PDPT[3], entry 0x80.
        assertEquals(0xd000_0000L | 0x87, memory.readLong(0x3000 + 3 * 4096L + 8 * 0x80));
    }

    @Test
    void identityPageTablesRejectBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> X86Setup.writeIdentityPageTables(memory, 0x1001, 1));
        assertThrows(IllegalArgumentException.class, () -> X86Setup.writeIdentityPageTables(memory, 0x1000, 0));
        assertThrows(IllegalArgumentException.class, () -> X86Setup.writeIdentityPageTables(memory, 0x1000, 513));
    }

    @Test
    void gdtHoldsTheFlatSegmentsAtTheirSelectors() {
        X86Setup.writeGdt(memory, 0x500, true);
        assertEquals(0, memory.readLong(0x500));
        assertEquals(SegmentRegister.flat(X86Setup.KERNEL_CS, 0xb, 0, true).toDescriptor(), memory.readLong(0x500 + X86Setup.KERNEL_CS));
        assertEquals(SegmentRegister.flat(X86Setup.KERNEL_DS, 0x3, 0, true).toDescriptor(), memory.readLong(0x500 + X86Setup.KERNEL_DS));
        assertEquals(0x00af_fb00_0000_ffffL, memory.readLong(0x500 + (X86Setup.USER_CS & ~7)));
        assertEquals(0x00cf_f300_0000_ffffL, memory.readLong(0x500 + (X86Setup.USER_DS & ~7)));
    }

    @Test
    void cpuidForSetsTheApicIdAndTheHypervisorBit() {
        Cpuid supported = new Cpuid(List.of(new CpuidEntry(1, 0, 0, 0x806f8, 0x0a10_0800, 0x0, 0x178bfbff),
                new CpuidEntry(0xb, 0, 1, 1, 2, 0x100, 7), new CpuidEntry(0xb, 1, 1, 4, 4, 0x201, 7)));
        Cpuid mine = X86Setup.cpuidFor(supported, 3);
        assertEquals(0x0310_0800, mine.find(1, 0).ebx(), "APIC id in EBX[31:24], the rest kept");
        assertEquals(Cpuid.ECX_HYPERVISOR, mine.find(1, 0).ecx());
        assertEquals(3, mine.find(0xb, 0).edx());
        assertEquals(3, mine.find(0xb, 1).edx());
        assertEquals(0x178bfbff, mine.find(1, 0).edx());
        Cpuid without = X86Setup.withoutFeature(mine, 1, 2, 31);
        assertEquals(0, without.find(1, 0).ecx());
        assertEquals(false, X86Setup.hasFeature(without.find(1, 0), 2, 31));
        assertEquals(true, X86Setup.hasFeature(mine.find(1, 0), 2, 31));
    }
}
