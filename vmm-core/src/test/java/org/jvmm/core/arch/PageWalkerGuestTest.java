package org.jvmm.core.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.Translation;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.testing.Guests;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/**
 * The page walker against KVM's own walk ({@code KVM_TRANSLATE}) on the same tables, in long mode
 * (4 KiB, 2 MiB and, where the guest's CPUID has 1 GiB pages, 1 GiB pages), PAE and 32-bit paging:
 * both must agree on every address, mapped or not.
 */
@RequiresKvm
class PageWalkerGuestTest {

    private static final long P = 1, RW = 2, PS = 0x80;

    private static void assertAgree(TestMachine m, VcpuFd vcpu, List<Long> addresses) {
        PagingRegisters paging = PagingRegisters.of(vcpu.getSpecialRegisters());
        int mapped = 0;
        for (long address : addresses) {
            Translation kvm = vcpu.translate(address);
            Translation walked = PageWalker.translate(m.memory, paging, address);
            String where = "0x" + Long.toHexString(address) + " in " + paging.mode();
            assertEquals(kvm.valid(), walked.valid(), where + ": KVM says " + kvm + ", the walker " + walked);
            if (kvm.valid()) {
                mapped++;
                assertEquals(kvm.physicalAddress(), walked.physicalAddress(), where);
            }
        }
        assertTrue(mapped > 0 && mapped < addresses.size(), "mapped and unmapped addresses both checked");
    }

    @Test
    void longModeWalksAgreeWithKvm() {
        try (TestMachine m = TestMachine.create(16 << 20)) {
            VcpuFd vcpu = m.longModeVcpu(0, Guests.SPIN); // the first 4 GiB identity-mapped with 2 MiB pages
            // The top of the address space: PML4[511] -> PDPT -> PD[0] -> PT with one 4 KiB page.
            m.memory.writeLong(TestMachine.PML4 + 511 * 8, 0x10_0000 | P | RW);
            m.memory.writeLong(0x10_0000 + 510 * 8, 0x10_1000 | P | RW);
            m.memory.writeLong(0x10_1000, 0x10_2000 | P | RW);
            m.memory.writeLong(0x10_2000 + 5 * 8, 0x34_5000 | P);
            List<Long> addresses = new ArrayList<>(List.of(0L, 0x1234L, 0x20_0000L, 0x3fff_ffffL, 0xffff_ffffL,
                    0x1_0000_0000L, 0x7fff_ffff_ffffL, 0x8000_0000_0000L, 0xffff_8000_0000_0000L,
                    0xffff_ffff_8000_5123L, 0xffff_ffff_8000_6000L, 0xffff_ffff_8020_0000L, 0xffff_ffff_ffff_f000L));
            if (X86Setup.hasFeature(m.kvm.supportedCpuid().find(0x8000_0001, 0), 3, 26)) { // PDPE1GB
                m.memory.writeLong(0x10_0000 + 511 * 8, 0x4000_0000L | P | RW | PS);
                addresses.add(0xffff_ffff_c012_3456L);
            }
            assertAgree(m, vcpu, addresses);
        }
    }

    @Test
    void paeAndThirtyTwoBitWalksAgreeWithKvm() {
        try (TestMachine m = TestMachine.create(16 << 20)) {
            VcpuFd vcpu = m.vcpu(0);
            X86Setup.protectedMode(vcpu, m.memory, TestMachine.GDT, 0x7c00, 0x7000);
            // PAE: PDPTE 0 -> PD with a 2 MiB page at 0x60_0000 and a table for 0x20_0000; PDPTE 3 -> PD
            // whose last entry maps 0xffe0_0000 to 0xa0_0000.
            m.memory.writeLong(0x1000, 0x2000 | P);
            m.memory.writeLong(0x1000 + 3 * 8, 0x3000 | P);
            m.memory.writeLong(0x2000 + 3 * 8, 0x60_0000 | P | RW | PS);
            m.memory.writeLong(0x2000 + 1 * 8, 0x4000 | P | RW);
            m.memory.writeLong(0x4000 + 7 * 8, 0x77_7000 | P);
            m.memory.writeLong(0x3000 + 511 * 8, 0xa0_0000 | P | RW | PS);
            SpecialRegisters sregs = vcpu.getSpecialRegisters();
            vcpu.setSpecialRegisters(sregs.cr3(0x1000).cr4(PagingRegisters.CR4_PAE)
                    .cr0(sregs.cr0() | PagingRegisters.CR0_PG | X86Setup.CR0_PE));
            assertAgree(m, vcpu, List.of(0x0L, 0x60_1234L, 0x20_7abcL, 0x20_8000L, 0x4000_0000L, 0xffff_fff0L,
                    0xffc0_0000L, 0x1_0000_0000L));

            // 32-bit paging: directory entry 1 -> table with page 3; entry 0x300 a 4 MiB page at 0x80_0000.
            m.memory.writeInt(0x5000 + 1 * 4, (int) (0x6000 | P | RW));
            m.memory.writeInt(0x6000 + 3 * 4, (int) (0x12_3000 | P));
            m.memory.writeInt(0x5000 + 0x300 * 4, (int) (0x80_0000 | P | RW | PS));
            sregs = vcpu.getSpecialRegisters();
            vcpu.setSpecialRegisters(sregs.cr3(0x5000).cr4(PagingRegisters.CR4_PSE));
            assertAgree(m, vcpu, List.of(0x40_3456L, 0x40_4000L, 0xc012_3456L, 0xc040_0000L, 0x0L, 0x1_0040_3456L));
        }
    }
}
