package org.jvmm.core.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.CpuidEntry;

class CpuFeaturesTest {

    /** x2apic, pcid, xsave, avx, rdrand in leaf 1; avx2, smep, invpcid in 7.0; pku and umip in 7.0 ECX; 7.1 all ones; nx, lm, svm. */
    private static final Cpuid SUPPORTED = new Cpuid(List.of(
            new CpuidEntry(1, 0, 0, 0x00a00f11, 0x0800, (1 << 21) | (1 << 17) | (1 << 26) | (1 << 28) | (1 << 30), 0x178bfbff),
            new CpuidEntry(7, 0, 1, 1, (1 << 5) | (1 << 7) | (1 << 10), (1 << 3) | (1 << 2), 0),
            new CpuidEntry(7, 1, 1, -1, -1, -1, -1),
            new CpuidEntry(0xd, 1, 1, 0xf, 0, 0, 0),
            new CpuidEntry(0x8000_0001, 0, 0, 0, 0, 1 << 2, (1 << 20) | (1 << 29))));

    private static Cpuid applied(String option) {
        CpuFeatures.Applied applied = CpuFeatures.parse(option).apply(SUPPORTED);
        assertEquals(List.of(), applied.unavailable(), option);
        return applied.cpuid();
    }

    private static String error(String option) {
        return assertThrows(IllegalArgumentException.class, () -> CpuFeatures.parse(option)).getMessage();
    }

    @Test
    void hostIsKvmsSupportedCpuidUnchanged() {
        assertEquals(SUPPORTED, applied("host"));
        assertEquals(SUPPORTED, CpuFeatures.HOST.apply(SUPPORTED).cpuid());
        assertEquals(SUPPORTED, applied("max"), "QEMU's max is host under KVM");
        assertEquals(SUPPORTED, applied("host,+x2apic,+avx2"), "asking for what is there changes nothing");
    }

    @Test
    void minusClearsExactlyTheFeaturesBitInTheRightSubLeaf() {
        Cpuid cpuid = applied("host,-x2apic,-pku,-invpcid,-xsaveopt,-nx");
        assertEquals(SUPPORTED.find(1, 0).ecx() & ~(1 << 21), cpuid.find(1, 0).ecx());
        assertEquals(SUPPORTED.find(7, 0).ecx() & ~(1 << 3), cpuid.find(7, 0).ecx());
        assertEquals(SUPPORTED.find(7, 0).ebx() & ~(1 << 10), cpuid.find(7, 0).ebx());
        assertEquals(0xe, cpuid.find(0xd, 1).eax());
        assertEquals(1 << 29, cpuid.find(0x8000_0001, 0).edx());
        assertEquals(SUPPORTED.find(7, 1), cpuid.find(7, 1), "sub-leaf 1 of leaf 7 untouched");
        assertEquals(SUPPORTED.find(1, 0).edx(), cpuid.find(1, 0).edx());
    }

    @Test
    void theLastChangeOfAFeatureWins() {
        assertFalse(CpuFeature.named("x2apic").orElseThrow().isIn(applied("host,+x2apic,-x2apic")));
        assertTrue(CpuFeature.named("x2apic").orElseThrow().isIn(applied("host,-x2apic,+x2apic")));
    }

    @Test
    void aFeatureKvmLacksIsLeftOutAndReported() {
        CpuFeatures.Applied applied = CpuFeatures.parse("host,+avx512f,+la57,+pku,+avx512f").apply(SUPPORTED);
        assertEquals(List.of(CpuFeature.named("avx512f").orElseThrow(), CpuFeature.named("la57").orElseThrow()), applied.unavailable());
        assertEquals(SUPPORTED, applied.cpuid(), "nothing KVM cannot give is set");
        assertEquals(List.of(), CpuFeatures.parse("host,+la57,-la57").apply(SUPPORTED).unavailable(), "withdrawn by a later -");
        Cpuid noLeaf7 = new Cpuid(List.of(SUPPORTED.find(1, 0)));
        assertEquals(noLeaf7, CpuFeatures.parse("host,-pku").apply(noLeaf7).cpuid(), "clearing a bit of a missing leaf is a no-op");
    }

    @Test
    void theTableHasTheBitsTheManualsGive() {
        assertEquals(new CpuFeature("x2apic", 1, 0, CpuFeature.ECX, 21), CpuFeature.named("x2apic").orElseThrow());
        assertEquals(new CpuFeature("tsc-deadline", 1, 0, CpuFeature.ECX, 24), CpuFeature.named("tsc_deadline").orElseThrow());
        assertEquals(new CpuFeature("vmx", 1, 0, CpuFeature.ECX, 5), CpuFeature.named("VMX").orElseThrow());
        assertEquals(new CpuFeature("avx512f", 7, 0, CpuFeature.EBX, 16), CpuFeature.named("avx512f").orElseThrow());
        assertEquals(new CpuFeature("la57", 7, 0, CpuFeature.ECX, 16), CpuFeature.named("la57").orElseThrow());
        assertEquals(new CpuFeature("svm", 0x8000_0001, 0, CpuFeature.ECX, 2), CpuFeature.named("svm").orElseThrow());
        assertEquals(new CpuFeature("pdpe1gb", 0x8000_0001, 0, CpuFeature.EDX, 26), CpuFeature.named("pdpe1gb").orElseThrow());
        assertEquals(new CpuFeature("sse4.1", 1, 0, CpuFeature.ECX, 19), CpuFeature.named("sse4_1").orElseThrow(), "Linux's name");
        assertEquals(CpuFeature.named("pni"), CpuFeature.named("sse3"));
        for (String name : List.of("x2apic", "pcid", "invpcid", "avx", "avx2", "avx512f", "xsave", "rdrand", "rdseed", "pku", "la57",
                "smep", "smap", "umip", "tsc-deadline", "vmx", "svm", "pdpe1gb", "lm", "nx", "skinit", "rdtscp", "npt")) {
            assertTrue(CpuFeature.named(name).isPresent(), name);
        }
        Set<String> bits = new HashSet<>();
        for (CpuFeature f : CpuFeature.all()) {
            assertTrue(f.bit() >= 0 && f.bit() < 32, f.toString());
            assertTrue(bits.add(f.function() + "." + f.index() + "." + f.register() + "." + f.bit()), "two names for one bit: " + f);
        }
    }

    @Test
    void docsMachineMdListsEveryFeatureInItsLeafAndRegister() throws java.io.IOException {
        List<String> doc = java.nio.file.Files.readAllLines(java.nio.file.Path.of("..", "docs", "machine.md"));
        String[] registers = {"EAX", "EBX", "ECX", "EDX"};
        for (CpuFeature f : CpuFeature.all()) {
            String leaf = (Integer.compareUnsigned(f.function(), 9) <= 0 ? Integer.toString(f.function())
                    : "0x" + Integer.toHexString(f.function()))
                    + (f.function() == 7 || f.function() == 0xd ? "." + f.index() : "");
            String row = "| " + leaf + " | " + registers[f.register()] + " | ";
            assertTrue(doc.stream().anyMatch(line -> line.startsWith(row) && List.of(line.substring(row.length())
                    .replace(" |", "").split(" ")).contains(f.name())), "docs/machine.md lacks " + f + " in its row " + row);
        }
        long documented = doc.stream().filter(line -> line.matches("\\| (\\d|0x)[0-9a-f.x]* \\| E[ABCD]X \\| .*"))
                .mapToLong(line -> line.substring(line.indexOf("X | ") + 4).replace(" |", "").split(" ").length).sum();
        assertEquals(CpuFeature.all().size(), documented, "features listed in docs/machine.md");
    }

    @Test
    void badOptionsAreOneLineErrors() {
        assertTrue(error("qemu64,+x2apic").startsWith("--cpu: unknown CPU model 'qemu64'"), error("qemu64"));
        assertTrue(error("host,+frobnicate").contains("unknown CPU feature 'frobnicate'"));
        assertTrue(error("host,x2apic").contains("'x2apic' is not +feature or -feature"));
        assertTrue(error("host,vendor=GenuineIntel").contains("jvmm takes no CPU properties"));
        assertTrue(error("host,").contains("'' is not +feature"));
        assertTrue(error("host,+").contains("'+' is not +feature"));
        for (String option : List.of("qemu64", "host,+frobnicate", "host,x2apic", "host,")) {
            assertFalse(error(option).contains("\n"), option);
        }
        assertEquals("host,+x2apic,-pku", CpuFeatures.parse("host,+x2apic,-pku").toString());
    }
}
