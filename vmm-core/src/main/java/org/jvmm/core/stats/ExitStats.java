package org.jvmm.core.stats;

/**
 * One vCPU's exit accounting, written only by that vCPU's thread: per exit reason a count, the
 * user-space handling time (total, min, max) and a latency histogram; per port the exits and time;
 * per MMIO bus device the same, with unclaimed accesses in a slot of their own. Recording is array
 * arithmetic with no allocation and no locking; {@link #snapshot()} copies it for readers on other
 * threads (values may be a few exits stale, never torn on a 64-bit JVM).
 */
public final class ExitStats {
    /** Exit reason codes tracked individually; larger codes share the last slot. */
    public static final int REASONS = 64;
    /** Number of I/O ports. */
    public static final int PORTS = 65536;

    private final int vcpu;
    private final long[] count = new long[REASONS];
    private final long[] totalNanos = new long[REASONS];
    private final long[] minNanos = new long[REASONS];
    private final long[] maxNanos = new long[REASONS];
    private final LatencyHistogram[] histograms = new LatencyHistogram[REASONS];
    private final long[] portExits = new long[PORTS];
    private final long[] portNanos = new long[PORTS];
    private final long[] mmioExits;
    private final long[] mmioNanos;
    private long unclaimedPio;
    private long unclaimedMmio;
    private volatile boolean enabled = true;

    /**
     * Creates empty accounting.
     *
     * @param vcpu       the vCPU index, for reports
     * @param mmioDevices number of MMIO bus entries; one more slot counts unclaimed addresses
     */
    public ExitStats(int vcpu, int mmioDevices) {
        this.vcpu = vcpu;
        this.mmioExits = new long[mmioDevices + 1];
        this.mmioNanos = new long[mmioDevices + 1];
        for (int i = 0; i < REASONS; i++) {
            histograms[i] = new LatencyHistogram();
            minNanos[i] = Long.MAX_VALUE;
        }
    }

    /** {@return the vCPU index} */
    public int vcpu() {
        return vcpu;
    }

    /** {@return whether recording is on} */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Switches recording on or off (benchmarks compare both).
     *
     * @param on true to record
     */
    public void setEnabled(boolean on) {
        enabled = on;
    }

    private static int slot(int reason) {
        return reason >= 0 && reason < REASONS ? reason : REASONS - 1;
    }

    /**
     * Records one exit.
     *
     * @param reason the raw exit reason
     * @param nanos  time from KVM_RUN's return to the next KVM_RUN
     */
    public void record(int reason, long nanos) {
        int s = slot(reason);
        count[s]++;
        totalNanos[s] += nanos;
        if (nanos < minNanos[s]) {
            minNanos[s] = nanos;
        }
        if (nanos > maxNanos[s]) {
            maxNanos[s] = nanos;
        }
        histograms[s].record(nanos);
    }

    /**
     * Records the port of a port-I/O exit.
     *
     * @param port      the port
     * @param nanos     handling time
     * @param unclaimed true when no device answers the port
     */
    public void recordPort(int port, long nanos, boolean unclaimed) {
        portExits[port & 0xffff]++;
        portNanos[port & 0xffff] += nanos;
        if (unclaimed) {
            unclaimedPio++;
        }
    }

    /**
     * Records the device of an MMIO exit.
     *
     * @param device the MMIO bus entry index, or -1 when unclaimed
     * @param nanos  handling time
     */
    public void recordMmio(int device, long nanos) {
        int s = device >= 0 && device < mmioExits.length - 1 ? device : mmioExits.length - 1;
        mmioExits[s]++;
        mmioNanos[s] += nanos;
        if (device < 0) {
            unclaimedMmio++;
        }
    }

    // Live reads for PhaseAccounting, from any thread: a value may be a few exits stale, never torn.

    long exits(int reason) {
        return count[reason];
    }

    long nanos(int reason) {
        return totalNanos[reason];
    }

    long portExits(int port) {
        return portExits[port];
    }

    long unclaimedPio() {
        return unclaimedPio;
    }

    /** {@return the MMIO slots: one per bus entry known at construction, then the unclaimed one} */
    int mmioSlots() {
        return mmioExits.length;
    }

    long mmioExits(int slot) {
        return mmioExits[slot];
    }

    /** {@return a copy for reports} */
    public ExitStatsSnapshot snapshot() {
        LatencyHistogram[] h = new LatencyHistogram[REASONS];
        for (int i = 0; i < REASONS; i++) {
            h[i] = histograms[i].copy();
        }
        return new ExitStatsSnapshot(vcpu, count.clone(), totalNanos.clone(), minNanos.clone(), maxNanos.clone(), h,
                portExits.clone(), portNanos.clone(), mmioExits.clone(), mmioNanos.clone(), unclaimedPio, unclaimedMmio);
    }
}
