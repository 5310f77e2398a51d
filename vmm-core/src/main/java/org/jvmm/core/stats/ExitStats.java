package org.jvmm.core.stats;

import org.jvmm.core.kvm.ExitReason;

/**
 * One vCPU's exit accounting, written only by that vCPU's thread: per exit reason a count, the
 * user-space handling time (total, min, max) and a latency histogram; per port the exits and time;
 * per MMIO bus device the same, with unclaimed accesses in a slot of their own. Recording is array
 * arithmetic with no allocation and no locking; {@link #snapshot()} copies it for readers on other
 * threads (values may be a few exits stale, never torn on a 64-bit JVM).
 *
 * <p><b>Every exit is counted; a sample is timed.</b> Timing an exit costs two clock reads, which on
 * a host whose clock is not the TSC (kvm-clock in a VM) cost more than handling the exit. So, as a
 * sampling profiler does, {@link #shouldTime} picks about one exit in {@link #timingInterval()} at
 * random (gaps drawn uniformly from 1 to {@code 2 * interval - 1}, so a guest's periodic pattern
 * cannot line up with the sampling), plus the first exit of each reason so that no reason that
 * occurred is left without a time. The histograms, minima and maxima are those of the timed exits:
 * a random sample of each reason's handling times, whose percentiles estimate the true ones (within
 * the histogram's 12.5 % buckets plus the sampling error of the sample's size, which
 * {@link ExitStatsSnapshot#timed()} gives). The totals in a snapshot are estimates for all exits:
 * the timed exits' sum scaled by the reason's count over its timed count. An interval of 1 times
 * every exit, as a tracing listener needs.
 */
public final class ExitStats {
    /** Exit reason codes tracked individually; larger codes share the last slot. */
    public static final int REASONS = 64;
    /** Number of I/O ports. */
    public static final int PORTS = 65536;
    /** Handling time of an exit that was not timed: it is counted only. */
    public static final long UNTIMED = Long.MIN_VALUE;
    /** Exits per timed exit unless {@link #setTimingInterval} says otherwise. */
    public static final int DEFAULT_TIMING_INTERVAL = 16;

    private final int vcpu;
    private final long[] count = new long[REASONS];
    private final long[] timed = new long[REASONS];
    private final long[] timedNanos = new long[REASONS];
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
    private int interval = DEFAULT_TIMING_INTERVAL;
    /** Exits until the next timed one; 1 times the very first exit. */
    private int countdown = 1;
    /** xorshift64 state for the gaps; any non-zero seed will do, the vCPU index keeps vCPUs apart. */
    private long random;

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
        this.random = 0x9E37_79B9_7F4A_7C15L * (vcpu + 1);
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

    /** {@return about how many exits there are per timed exit; 1 times every exit} */
    public int timingInterval() {
        return interval;
    }

    /**
     * Sets how many exits there are per timed exit, on average. Call it from the vCPU thread, or
     * before the vCPU runs.
     *
     * @param exits 1 to time every exit, up to 2^20
     * @throws IllegalArgumentException outside that range
     */
    public void setTimingInterval(int exits) {
        if (exits < 1 || exits > 1 << 20) {
            throw new IllegalArgumentException("timing interval " + exits + " is not 1 to 2^20 exits");
        }
        interval = exits;
        countdown = 1;
    }

    private static int slot(int reason) {
        return reason >= 0 && reason < REASONS ? reason : REASONS - 1;
    }

    /**
     * Whether to time the exit about to be handled: the first of its reason, then about one in
     * {@link #timingInterval()}. Each call that returns true starts a new random gap.
     *
     * @param reason the exit's raw reason
     * @return true to time it
     */
    public boolean shouldTime(int reason) {
        if (--countdown > 0 && count[slot(reason)] != 0) {
            return false;
        }
        if (countdown <= 0) {
            countdown = nextGap();
        }
        return true;
    }

    private int nextGap() {
        if (interval == 1) {
            return 1;
        }
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        return 1 + (int) Long.remainderUnsigned(x, 2L * interval - 1);
    }

    /**
     * Records one exit.
     *
     * @param reason the raw exit reason
     * @param nanos  time from KVM_RUN's return to the next KVM_RUN, or {@link #UNTIMED}
     */
    public void record(int reason, long nanos) {
        int s = slot(reason);
        count[s]++;
        if (nanos == UNTIMED) {
            return;
        }
        timed[s]++;
        timedNanos[s] += nanos;
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
     * @param nanos     handling time, or {@link #UNTIMED}
     * @param unclaimed true when no device answers the port
     */
    public void recordPort(int port, long nanos, boolean unclaimed) {
        portExits[port & 0xffff]++;
        if (nanos != UNTIMED) {
            portNanos[port & 0xffff] += nanos;
        }
        if (unclaimed) {
            unclaimedPio++;
        }
    }

    /**
     * Records the device of an MMIO exit.
     *
     * @param device the MMIO bus entry index, or -1 when unclaimed
     * @param nanos  handling time, or {@link #UNTIMED}
     */
    public void recordMmio(int device, long nanos) {
        int s = device >= 0 && device < mmioExits.length - 1 ? device : mmioExits.length - 1;
        mmioExits[s]++;
        if (nanos != UNTIMED) {
            mmioNanos[s] += nanos;
        }
        if (device < 0) {
            unclaimedMmio++;
        }
    }

    // Live reads for PhaseAccounting, from any thread: a value may be a few exits stale, never torn.

    long exits(int reason) {
        return count[reason];
    }

    /** Scaled from the timed exits to all of them, as {@link #snapshot()} does. */
    long nanos(int reason) {
        return scale(timedNanos[reason], count[reason], timed[reason]);
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

    /**
     * A copy for reports, with every total scaled from the timed exits to all exits: per reason by
     * its own count over its timed count, per port by the port-I/O reason's, per MMIO device by the
     * MMIO reason's (the sampling does not look at ports or devices, so their share of the timed
     * exits is their share of the exits, up to sampling error).
     *
     * @return the snapshot
     */
    public ExitStatsSnapshot snapshot() {
        LatencyHistogram[] h = new LatencyHistogram[REASONS];
        long[] total = new long[REASONS];
        for (int i = 0; i < REASONS; i++) {
            h[i] = histograms[i].copy();
            total[i] = scale(timedNanos[i], count[i], timed[i]);
        }
        int io = ExitReason.IO.code();
        int mmio = ExitReason.MMIO.code();
        long[] ports = new long[PORTS];
        for (int p = 0; p < PORTS; p++) {
            ports[p] = portNanos[p] == 0 ? 0 : scale(portNanos[p], count[io], timed[io]);
        }
        long[] devices = new long[mmioNanos.length];
        for (int d = 0; d < devices.length; d++) {
            devices[d] = mmioNanos[d] == 0 ? 0 : scale(mmioNanos[d], count[mmio], timed[mmio]);
        }
        return new ExitStatsSnapshot(vcpu, count.clone(), timed.clone(), total, minNanos.clone(), maxNanos.clone(), h,
                portExits.clone(), ports, mmioExits.clone(), devices, unclaimedPio, unclaimedMmio);
    }

    /** {@code nanos * exits / timedExits}, the timed sum scaled to all exits; unscaled without a sample. */
    private static long scale(long nanos, long exits, long timedExits) {
        if (timedExits == 0 || timedExits == exits) {
            return nanos;
        }
        return Math.round(nanos * ((double) exits / timedExits));
    }
}
