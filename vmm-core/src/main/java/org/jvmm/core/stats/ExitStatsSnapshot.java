package org.jvmm.core.stats;

/**
 * A copy of exit accounting at one moment, for one vCPU or merged over several ({@code vcpu} = -1).
 * Arrays are indexed as in {@link ExitStats}: by exit reason code, by port, by MMIO bus entry (the
 * last MMIO slot holds unclaimed addresses).
 *
 * @param vcpu           the vCPU index, or -1 for a merge
 * @param count          exits per reason
 * @param timed          exits per reason whose handling was timed (see {@link ExitStats}): the
 *                       size of the sample behind the times, extremes and histogram
 * @param totalNanos     handling time per reason, estimated for all exits from the timed ones
 * @param minNanos       shortest timed handling per reason (Long.MAX_VALUE when none)
 * @param maxNanos       longest timed handling per reason
 * @param histograms     histogram of the timed handling times per reason
 * @param portExits      exits per port
 * @param portNanos      handling time per port, estimated for all its exits
 * @param mmioExits      exits per MMIO bus entry, unclaimed last
 * @param mmioNanos      handling time per MMIO bus entry, estimated for all its exits, unclaimed last
 * @param unclaimedPio   port accesses no device answered
 * @param unclaimedMmio  MMIO accesses no device answered
 */
public record ExitStatsSnapshot(int vcpu, long[] count, long[] timed, long[] totalNanos, long[] minNanos, long[] maxNanos,
                                LatencyHistogram[] histograms, long[] portExits, long[] portNanos,
                                long[] mmioExits, long[] mmioNanos, long unclaimedPio, long unclaimedMmio) {

    /** {@return exits of every reason} */
    public long totalExits() {
        long total = 0;
        for (long c : count) {
            total += c;
        }
        return total;
    }

    /** {@return exits of every reason that were timed} */
    public long totalTimed() {
        long total = 0;
        for (long t : timed) {
            total += t;
        }
        return total;
    }

    /** {@return handling time of every reason} */
    public long totalNanosAll() {
        long total = 0;
        for (long t : totalNanos) {
            total += t;
        }
        return total;
    }

    /**
     * Exits of one reason.
     *
     * @param reason the raw code
     * @return the count
     */
    public long exits(int reason) {
        return reason >= 0 && reason < count.length ? count[reason] : 0;
    }

    /**
     * Merges several vCPUs' snapshots into one ({@code vcpu} = -1).
     *
     * @param parts the snapshots, at least one; all with the same number of MMIO slots
     * @return the sum, a new snapshot even for one part (so {@code vcpu} is always -1)
     * @throws IllegalArgumentException if {@code parts} is empty
     */
    public static ExitStatsSnapshot merge(java.util.List<ExitStatsSnapshot> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge: no vCPU snapshots");
        }
        ExitStatsSnapshot first = parts.get(0);
        int reasons = first.count.length;
        long[] count = new long[reasons];
        long[] timed = new long[reasons];
        long[] total = new long[reasons];
        long[] min = new long[reasons];
        long[] max = new long[reasons];
        LatencyHistogram[] h = new LatencyHistogram[reasons];
        long[] ports = new long[first.portExits.length];
        long[] portNs = new long[first.portExits.length];
        long[] mmio = new long[first.mmioExits.length];
        long[] mmioNs = new long[first.mmioExits.length];
        java.util.Arrays.fill(min, Long.MAX_VALUE);
        long unPio = 0;
        long unMmio = 0;
        for (int r = 0; r < reasons; r++) {
            h[r] = new LatencyHistogram();
        }
        for (ExitStatsSnapshot p : parts) {
            for (int r = 0; r < reasons; r++) {
                count[r] += p.count[r];
                timed[r] += p.timed[r];
                total[r] += p.totalNanos[r];
                min[r] = Math.min(min[r], p.minNanos[r]);
                max[r] = Math.max(max[r], p.maxNanos[r]);
                h[r].add(p.histograms[r]);
            }
            for (int i = 0; i < ports.length; i++) {
                ports[i] += p.portExits[i];
                portNs[i] += p.portNanos[i];
            }
            for (int i = 0; i < mmio.length && i < p.mmioExits.length; i++) {
                mmio[i] += p.mmioExits[i];
                mmioNs[i] += p.mmioNanos[i];
            }
            unPio += p.unclaimedPio;
            unMmio += p.unclaimedMmio;
        }
        return new ExitStatsSnapshot(-1, count, timed, total, min, max, h, ports, portNs, mmio, mmioNs, unPio, unMmio);
    }
}
