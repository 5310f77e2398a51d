package org.jvmm.core.stats;

import java.util.Arrays;

/**
 * Exit counts at one moment, or summed over a phase, in a fixed shape: per exit reason (exits and
 * handling time), per vCPU, per bus device, and the counters of a {@link CounterSource}, plus a
 * clock reading. Small and allocated once, so a phase mark only adds and subtracts.
 */
final class Tally {
    final long[] reasonExits = new long[ExitStats.REASONS];
    final long[] reasonNanos = new long[ExitStats.REASONS];
    final long[] vcpuExits;
    final long[] deviceExits;
    final long[] counters;
    long nanos;

    Tally(int vcpus, int devices, int counterCount) {
        vcpuExits = new long[vcpus];
        deviceExits = new long[devices];
        counters = new long[counterCount];
    }

    void clear() {
        Arrays.fill(reasonExits, 0);
        Arrays.fill(reasonNanos, 0);
        Arrays.fill(vcpuExits, 0);
        Arrays.fill(deviceExits, 0);
        Arrays.fill(counters, 0);
        nanos = 0;
    }

    /** Adds what happened between two readings: this += later - earlier. */
    void addDifference(Tally later, Tally earlier) {
        add(reasonExits, later.reasonExits, earlier.reasonExits);
        add(reasonNanos, later.reasonNanos, earlier.reasonNanos);
        add(vcpuExits, later.vcpuExits, earlier.vcpuExits);
        add(deviceExits, later.deviceExits, earlier.deviceExits);
        add(counters, later.counters, earlier.counters);
        nanos += later.nanos - earlier.nanos;
    }

    void copyFrom(Tally other) {
        System.arraycopy(other.reasonExits, 0, reasonExits, 0, reasonExits.length);
        System.arraycopy(other.reasonNanos, 0, reasonNanos, 0, reasonNanos.length);
        System.arraycopy(other.vcpuExits, 0, vcpuExits, 0, vcpuExits.length);
        System.arraycopy(other.deviceExits, 0, deviceExits, 0, deviceExits.length);
        System.arraycopy(other.counters, 0, counters, 0, counters.length);
        nanos = other.nanos;
    }

    private static void add(long[] into, long[] later, long[] earlier) {
        for (int i = 0; i < into.length; i++) {
            into[i] += later[i] - earlier[i];
        }
    }
}
