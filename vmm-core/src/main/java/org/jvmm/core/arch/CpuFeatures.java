package org.jvmm.core.arch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jvmm.core.kvm.Cpuid;

/**
 * The CPU a guest sees, as the {@code --cpu} option gives it: {@code host} (everything KVM supports, as
 * {@code KVM_GET_SUPPORTED_CPUID} reports it, the default) followed by comma-separated {@code +feature}
 * and {@code -feature} changes, QEMU's syntax and names ({@link CpuFeature}); {@code max} is taken as
 * {@code host}, as QEMU with KVM does. A later change of the same feature wins.
 *
 * @param changes the changes, in order
 */
public record CpuFeatures(List<Change> changes) {

    /** {@code --cpu host}: KVM's supported CPUID unchanged. */
    public static final CpuFeatures HOST = new CpuFeatures(List.of());

    /**
     * One {@code +feature} or {@code -feature}.
     *
     * @param feature the feature
     * @param enable  true for {@code +}
     */
    public record Change(CpuFeature feature, boolean enable) {}

    /**
     * The result of {@link #apply}.
     *
     * @param cpuid       the CPUID to give every vCPU (before its per-vCPU fields, see {@code BootCpu.cpuid})
     * @param unavailable features asked for with {@code +} that KVM does not support: left out, as QEMU
     *                    does without {@code enforce}; the caller warns about them
     */
    public record Applied(Cpuid cpuid, List<CpuFeature> unavailable) {}

    /**
     * Copies the list.
     *
     * @param changes the changes
     */
    public CpuFeatures {
        changes = List.copyOf(changes);
    }

    /**
     * Parses an option value such as {@code host,+x2apic,-pku}.
     *
     * @param text the value
     * @return the parsed option
     * @throws IllegalArgumentException with a one-line message naming what is wrong: a model other than
     *                                  host, an unknown feature, or an item without + or -
     */
    public static CpuFeatures parse(String text) {
        String[] items = text.split(",", -1);
        String model = items[0].strip().toLowerCase(Locale.ROOT);
        if (!model.equals("host") && !model.equals("max")) {
            throw new IllegalArgumentException("--cpu: unknown CPU model '" + items[0] + "': jvmm offers 'host' (KVM's "
                    + "supported CPUID), optionally followed by ,+feature or ,-feature");
        }
        List<Change> changes = new ArrayList<>();
        for (int i = 1; i < items.length; i++) {
            String item = items[i].strip();
            if (item.length() < 2 || (item.charAt(0) != '+' && item.charAt(0) != '-')) {
                throw new IllegalArgumentException("--cpu: '" + item + "' is not +feature or -feature"
                        + (item.contains("=") ? " (jvmm takes no CPU properties)" : ""));
            }
            String name = item.substring(1);
            CpuFeature feature = CpuFeature.named(name).orElseThrow(() -> new IllegalArgumentException(
                    "--cpu: unknown CPU feature '" + name + "' (docs/machine.md lists the names jvmm knows)"));
            changes.add(new Change(feature, item.charAt(0) == '+'));
        }
        return new CpuFeatures(changes);
    }

    /**
     * Applies the changes to what KVM supports: {@code -feature} clears the bit, {@code +feature} keeps it
     * when KVM supports it and reports it as unavailable otherwise (the guest never sees a feature KVM
     * cannot virtualize).
     *
     * @param supported {@code KVM_GET_SUPPORTED_CPUID}'s answer, plus any bit the machine knows KVM
     *                  provides through a capability instead (such as tsc-deadline with
     *                  {@code KVM_CAP_TSC_DEADLINE_TIMER} on older kernels)
     * @return the CPUID and the features left out
     */
    public Applied apply(Cpuid supported) {
        Cpuid cpuid = supported;
        List<CpuFeature> unavailable = new ArrayList<>();
        for (Change c : changes) {
            if (!c.enable()) {
                cpuid = c.feature().applyTo(cpuid, false);
                unavailable.remove(c.feature());
            } else if (c.feature().isIn(supported)) {
                cpuid = c.feature().applyTo(cpuid, true);
            } else if (!unavailable.contains(c.feature())) {
                unavailable.add(c.feature());
            }
        }
        return new Applied(cpuid, unavailable);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("host");
        for (Change c : changes) {
            s.append(',').append(c.enable() ? '+' : '-').append(c.feature().name());
        }
        return s.toString();
    }
}
