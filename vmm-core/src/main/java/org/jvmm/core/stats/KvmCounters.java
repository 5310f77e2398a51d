package org.jvmm.core.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvmm.core.kvm.BinaryStats;
import org.jvmm.core.kvm.StatDescriptor;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;

/**
 * KVM's own counters for a VM and its vCPUs, read from the binary stats fds. These include the
 * exits KVM handles in the kernel, which user space never sees. Names come from KVM's descriptors:
 * what a counter means is the kernel's business, and on some hosts a counter never moves (this
 * jvmm reports what is there rather than assuming).
 */
public final class KvmCounters implements AutoCloseable {

    private final BinaryStats vmStats;
    private final List<BinaryStats> vcpuStats = new ArrayList<>();

    private KvmCounters(BinaryStats vmStats) {
        this.vmStats = vmStats;
    }

    /**
     * Opens the stats fds of a VM and the given vCPUs.
     *
     * @param vm    the VM
     * @param vcpus its vCPUs
     * @return the counters
     * @throws org.jvmm.core.kvm.KvmException if the kernel has no binary stats (KVM_CAP_BINARY_STATS_FD)
     */
    public static KvmCounters open(VmFd vm, List<VcpuFd> vcpus) {
        KvmCounters counters = new KvmCounters(vm.openStats());
        try {
            for (VcpuFd vcpu : vcpus) {
                counters.vcpuStats.add(vcpu.openStats());
            }
        } catch (RuntimeException e) {
            counters.close();
            throw e;
        }
        return counters;
    }

    /**
     * Reads every counter now.
     *
     * @return the values: vCPU counters summed over vCPUs (prefixed {@code vcpu.}), VM counters
     *         prefixed {@code vm.}; cumulative counters only, in descriptor order
     */
    public Map<String, Long> sample() {
        Map<String, Long> values = new LinkedHashMap<>();
        for (BinaryStats stats : vcpuStats) {
            long[] raw = new long[stats.descriptors().size()];
            stats.read(raw);
            for (int i = 0; i < raw.length; i++) {
                StatDescriptor d = stats.descriptors().get(i);
                if (d.cumulative()) {
                    values.merge("vcpu." + d.name(), raw[i], Long::sum);
                }
            }
        }
        long[] raw = new long[vmStats.descriptors().size()];
        vmStats.read(raw);
        for (int i = 0; i < raw.length; i++) {
            StatDescriptor d = vmStats.descriptors().get(i);
            if (d.cumulative()) {
                values.put("vm." + d.name(), raw[i]);
            }
        }
        return values;
    }

    /**
     * What changed between two samples.
     *
     * @param before the earlier sample
     * @param after  the later sample
     * @return after minus before, per counter
     */
    public static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> delta = new LinkedHashMap<>();
        after.forEach((name, value) -> delta.put(name, value - before.getOrDefault(name, 0L)));
        return delta;
    }

    /** Closes every stats fd. */
    @Override
    public void close() {
        vmStats.close();
        vcpuStats.forEach(BinaryStats::close);
    }
}
