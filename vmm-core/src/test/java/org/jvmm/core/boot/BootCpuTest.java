package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.CpuidEntry;

class BootCpuTest {

    private static final Cpuid SUPPORTED = new Cpuid(List.of(
            new CpuidEntry(0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),
            new CpuidEntry(1, 0, 0, 0x00a00f11, 0x0012_0800, (1 << 13) | (1 << 26) | (1 << 27) | 1, 0x178bfbff),
            new CpuidEntry(0xb, 0, 1, 0, 1, 0x100, 7)));

    @Test
    void cpuidCarriesApicIdCpuCountAndHypervisorBit() {
        Cpuid cpuid = BootCpu.cpuid(SUPPORTED, 3, 4, BootCpu.CpuidOptions.NONE);
        CpuidEntry leaf1 = cpuid.find(1, 0);
        assertEquals(3, leaf1.ebx() >>> 24, "APIC id");
        assertEquals(4, (leaf1.ebx() >> 16) & 0xff, "logical processors");
        assertEquals(0x0800, leaf1.ebx() & 0xffff, "CLFLUSH size and brand kept");
        assertEquals(Cpuid.ECX_HYPERVISOR, leaf1.ecx() & Cpuid.ECX_HYPERVISOR);
        assertEquals(1 << 13, leaf1.ecx() & (1 << 13), "CX16 kept by default");
        assertEquals(3, cpuid.find(0xb, 0).edx(), "x2APIC id");
    }

    @Test
    void cx16AndXsaveCanBeHidden() {
        CpuidEntry leaf1 = BootCpu.cpuid(SUPPORTED, 0, 1, new BootCpu.CpuidOptions(true, true)).find(1, 0);
        assertEquals(0, leaf1.ecx() & (1 << 13), "CX16");
        assertEquals(0, leaf1.ecx() & (3 << 26), "XSAVE, OSXSAVE");
        assertEquals(1, leaf1.ecx() & 1, "SSE3 kept");
        CpuidEntry onlyCx16 = BootCpu.cpuid(SUPPORTED, 0, 1, new BootCpu.CpuidOptions(true, false)).find(1, 0);
        assertEquals(1 << 26, onlyCx16.ecx() & (1 << 26));
    }
}
