package org.jvmm.core.arch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.CpuidEntry;

/**
 * A CPU feature the guest sees as one CPUID bit, by the name QEMU's {@code -cpu} option gives it (the
 * same as Linux's /proc/cpuinfo flag in most cases; where they differ, both are accepted, e.g.
 * {@code sse4.1} and {@code sse4_1}, {@code pni} and {@code sse3}). Names are case-insensitive and
 * {@code _} equals {@code -}.
 *
 * @param name     the canonical (QEMU) name
 * @param function the CPUID leaf (EAX input)
 * @param index    the sub-leaf (ECX input), 0 for leaves without sub-leaves
 * @param register {@link #EAX}, {@link #EBX}, {@link #ECX} or {@link #EDX}
 * @param bit      the bit, 0 to 31
 */
public record CpuFeature(String name, int function, int index, int register, int bit) {

    /** Output register EAX. */
    public static final int EAX = 0;
    /** Output register EBX. */
    public static final int EBX = 1;
    /** Output register ECX. */
    public static final int ECX = 2;
    /** Output register EDX. */
    public static final int EDX = 3;

    private static final Map<String, CpuFeature> BY_NAME = new LinkedHashMap<>();
    /** Linux's /proc/cpuinfo names where they differ from QEMU's. */
    private static final Map<String, String> ALIASES = Map.of("sse3", "pni", "sse4-1", "sse4.1", "sse4-2", "sse4.2",
            "sha", "sha-ni", "tsc-deadline-timer", "tsc-deadline", "pdpe1g", "pdpe1gb");

    static {
        leaf(1, 0, EDX, "fpu", 0, "vme", 1, "de", 2, "pse", 3, "tsc", 4, "msr", 5, "pae", 6, "mce", 7, "cx8", 8, "apic", 9,
                "sep", 11, "mtrr", 12, "pge", 13, "mca", 14, "cmov", 15, "pat", 16, "pse36", 17, "clflush", 19, "mmx", 23,
                "fxsr", 24, "sse", 25, "sse2", 26, "ss", 27, "ht", 28);
        leaf(1, 0, ECX, "pni", 0, "pclmulqdq", 1, "monitor", 3, "vmx", 5, "ssse3", 9, "fma", 12, "cx16", 13, "pdcm", 15,
                "pcid", 17, "sse4.1", 19, "sse4.2", 20, "x2apic", 21, "movbe", 22, "popcnt", 23, "tsc-deadline", 24, "aes", 25,
                "xsave", 26, "avx", 28, "f16c", 29, "rdrand", 30, "hypervisor", 31);
        leaf(7, 0, EBX, "fsgsbase", 0, "tsc-adjust", 1, "bmi1", 3, "hle", 4, "avx2", 5, "smep", 7, "bmi2", 8, "erms", 9,
                "invpcid", 10, "rtm", 11, "avx512f", 16, "avx512dq", 17, "rdseed", 18, "adx", 19, "smap", 20, "avx512ifma", 21,
                "clflushopt", 23, "clwb", 24, "avx512cd", 28, "sha-ni", 29, "avx512bw", 30, "avx512vl", 31);
        leaf(7, 0, ECX, "avx512vbmi", 1, "umip", 2, "pku", 3, "waitpkg", 5, "avx512vbmi2", 6, "gfni", 8, "vaes", 9,
                "vpclmulqdq", 10, "avx512vnni", 11, "avx512bitalg", 12, "avx512-vpopcntdq", 14, "la57", 16, "rdpid", 22,
                "cldemote", 25, "movdiri", 27, "movdir64b", 28, "pks", 31);
        leaf(7, 0, EDX, "fsrm", 4, "md-clear", 10, "serialize", 14, "spec-ctrl", 26, "stibp", 27, "arch-capabilities", 29,
                "ssbd", 31);
        leaf(0xd, 1, EAX, "xsaveopt", 0, "xsavec", 1, "xgetbv1", 2, "xsaves", 3);
        leaf(0x8000_0001, 0, ECX, "lahf_lm", 0, "cmp_legacy", 1, "svm", 2, "extapic", 3, "cr8legacy", 4, "abm", 5,
                "sse4a", 6, "misalignsse", 7, "3dnowprefetch", 8, "osvw", 9, "ibs", 10, "xop", 11, "skinit", 12, "wdt", 13,
                "fma4", 16, "tbm", 21, "topoext", 22, "perfctr-core", 23);
        leaf(0x8000_0001, 0, EDX, "syscall", 11, "nx", 20, "mmxext", 22, "fxsr-opt", 25, "pdpe1gb", 26, "rdtscp", 27,
                "lm", 29);
        leaf(0x8000_0007, 0, EDX, "invtsc", 8);
        leaf(0x8000_0008, 0, EBX, "clzero", 0, "xsaveerptr", 2, "wbnoinvd", 9, "ibpb", 12, "amd-ssbd", 24, "virt-ssbd", 25);
        leaf(0x8000_000a, 0, EDX, "npt", 0, "lbrv", 1, "nrip-save", 3, "tsc-scale", 4, "vmcb-clean", 5, "flushbyasid", 6,
                "decodeassists", 7, "pause-filter", 10, "pfthreshold", 12, "avic", 13, "v-vmsave-vmload", 15, "vgif", 16);
    }

    private static void leaf(int function, int index, int register, Object... namesAndBits) {
        for (int i = 0; i < namesAndBits.length; i += 2) {
            String name = (String) namesAndBits[i];
            BY_NAME.put(normalize(name), new CpuFeature(name, function, index, register, (Integer) namesAndBits[i + 1]));
        }
    }

    private static String normalize(String name) {
        return name.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Looks a feature up by name.
     *
     * @param name a QEMU or Linux name, any case, {@code _} or {@code -}
     * @return the feature, or empty if jvmm does not know the name
     */
    public static Optional<CpuFeature> named(String name) {
        String key = normalize(name);
        return Optional.ofNullable(BY_NAME.getOrDefault(key, BY_NAME.get(normalize(ALIASES.getOrDefault(key, "")))));
    }

    /** {@return every feature jvmm knows, leaf by leaf} */
    public static List<CpuFeature> all() {
        return List.copyOf(BY_NAME.values());
    }

    /**
     * Whether a CPUID set has this feature.
     *
     * @param cpuid the set
     * @return true if its leaf exists and the bit is set
     */
    public boolean isIn(Cpuid cpuid) {
        return X86Setup.hasFeature(cpuid.find(function, index), register, bit);
    }

    /**
     * The set with this feature's bit set or cleared in its leaf; a set without the leaf is returned unchanged.
     *
     * @param cpuid  the set
     * @param enable set or clear
     * @return the new set
     */
    public Cpuid applyTo(Cpuid cpuid, boolean enable) {
        int mask = 1 << bit;
        return new Cpuid(cpuid.entries().stream().map(e -> e.function() != function || e.index() != index ? e
                : withRegister(e, enable ? value(e) | mask : value(e) & ~mask)).toList());
    }

    private int value(CpuidEntry e) {
        return switch (register) {
            case EAX -> e.eax();
            case EBX -> e.ebx();
            case ECX -> e.ecx();
            default -> e.edx();
        };
    }

    private CpuidEntry withRegister(CpuidEntry e, int value) {
        return switch (register) {
            case EAX -> e.withRegisters(value, e.ebx(), e.ecx(), e.edx());
            case EBX -> e.withRegisters(e.eax(), value, e.ecx(), e.edx());
            case ECX -> e.withRegisters(e.eax(), e.ebx(), value, e.edx());
            default -> e.withRegisters(e.eax(), e.ebx(), e.ecx(), value);
        };
    }

    @Override
    public String toString() {
        return String.format("%s (CPUID.%xH%s:%s[%d])", name, function, function == 7 || function == 0xd ? "." + index : "",
                new String[] {"EAX", "EBX", "ECX", "EDX"}[register], bit);
    }
}
