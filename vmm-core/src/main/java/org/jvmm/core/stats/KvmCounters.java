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
public final class KvmCounters implements CounterSource, AutoCloseable {

    private final BinaryStats vmStats;
    private final List<BinaryStats> vcpuStats = new ArrayList<>();
    /** The cumulative counters' names: vCPU ones (summed over vCPUs) first, then the VM's. */
    private List<String> names = List.of();
    /** Per stats fd (vCPUs, then the VM): its raw values, and the name slot each descriptor adds to (-1: none). */
    private long[][] raw;
    private int[][] slots;

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
        counters.layOut();
        return counters;
    }

    /** Gives every cumulative counter its slot once, so {@link #read} only adds. */
    private void layOut() {
        Map<String, Integer> slot = new LinkedHashMap<>();
        List<BinaryStats> all = new ArrayList<>(vcpuStats);
        all.add(vmStats);
        raw = new long[all.size()][];
        slots = new int[all.size()][];
        for (int f = 0; f < all.size(); f++) {
            List<StatDescriptor> descriptors = all.get(f).descriptors();
            String prefix = f < vcpuStats.size() ? "vcpu." : "vm.";
            raw[f] = new long[descriptors.size()];
            slots[f] = new int[descriptors.size()];
            for (int i = 0; i < descriptors.size(); i++) {
                StatDescriptor d = descriptors.get(i);
                slots[f][i] = d.cumulative() ? slot.computeIfAbsent(prefix + d.name(), name -> slot.size()) : -1;
            }
        }
        names = List.copyOf(slot.keySet());
    }

    @Override
    public List<String> names() {
        return names;
    }

    /**
     * Reads every cumulative counter into {@code into}, in {@link #names()} order, vCPU counters
     * summed over the vCPUs; allocates nothing. Synchronized: the stats fds' read buffers are
     * shared, and a phase mark on a vCPU thread may read while another thread samples.
     *
     * @param into one slot per name
     */
    @Override
    public synchronized void read(long[] into) {
        java.util.Arrays.fill(into, 0);
        for (int f = 0; f < raw.length; f++) {
            BinaryStats stats = f < vcpuStats.size() ? vcpuStats.get(f) : vmStats;
            stats.read(raw[f]);
            for (int i = 0; i < raw[f].length; i++) {
                if (slots[f][i] >= 0) {
                    into[slots[f][i]] += raw[f][i];
                }
            }
        }
    }

    /**
     * Reads every counter now.
     *
     * @return the values: vCPU counters summed over vCPUs (prefixed {@code vcpu.}), VM counters
     *         prefixed {@code vm.}; cumulative counters only, in descriptor order
     */
    public Map<String, Long> sample() {
        long[] now = new long[names.size()];
        read(now);
        Map<String, Long> values = new LinkedHashMap<>();
        for (int i = 0; i < now.length; i++) {
            values.put(names.get(i), now[i]);
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
