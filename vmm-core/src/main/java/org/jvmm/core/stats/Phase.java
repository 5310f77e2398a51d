package org.jvmm.core.stats;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exits of one phase of a guest's work: everything counted from the guest's marks of this phase
 * to the next mark (or the end of the run), summed over every time the guest entered the phase.
 *
 * @param number         the phase the guest marked (0 to {@link PhaseAccounting#MAX_PHASES} - 1), or
 *                       {@link #BEFORE_FIRST_MARK} for the run up to the guest's first mark
 * @param marks          how often the guest entered the phase (0 for the part before the first mark)
 * @param wallNanos      wall time spent in the phase
 * @param userExits      exits that reached jvmm
 * @param exitsByReason  those exits by reason name (non-zero only)
 * @param nanosByReason  their handling time by reason name (non-zero reasons only)
 * @param exitsByDevice  port and MMIO exits by bus device name, unclaimed accesses as
 *                       {@value PhaseAccounting#UNCLAIMED_PORT} and {@value PhaseAccounting#UNCLAIMED_MMIO} (non-zero only)
 * @param exitsByVcpu    exits per vCPU, by index
 * @param kvmCounters    KVM's counters over the phase, by name (empty where the host has none)
 */
public record Phase(int number, long marks, long wallNanos, long userExits, Map<String, Long> exitsByReason,
                    Map<String, Long> nanosByReason, Map<String, Long> exitsByDevice, List<Long> exitsByVcpu,
                    Map<String, Long> kvmCounters) {

    /** The number of the part of a run before the guest's first mark. */
    public static final int BEFORE_FIRST_MARK = -1;

    /**
     * Copies the collections.
     *
     * @param number        phase number
     * @param marks         times entered
     * @param wallNanos     wall time
     * @param userExits     user-space exits
     * @param exitsByReason exits by reason
     * @param nanosByReason handling time by reason
     * @param exitsByDevice exits by device
     * @param exitsByVcpu   exits by vCPU
     * @param kvmCounters   KVM's counters
     */
    public Phase {
        exitsByReason = Collections.unmodifiableMap(new LinkedHashMap<>(exitsByReason));
        nanosByReason = Collections.unmodifiableMap(new LinkedHashMap<>(nanosByReason));
        exitsByDevice = Collections.unmodifiableMap(new LinkedHashMap<>(exitsByDevice));
        exitsByVcpu = List.copyOf(exitsByVcpu);
        kvmCounters = Collections.unmodifiableMap(new LinkedHashMap<>(kvmCounters));
    }

    /** {@return KVM's vCPU exit counter over the phase, or null where the host has none} */
    public Long kvmExits() {
        return kvmCounters.get("vcpu.exits");
    }

    /** {@return the phase's name in reports: its number, or "before" for the part before the first mark} */
    public String label() {
        return number == BEFORE_FIRST_MARK ? "before" : Integer.toString(number);
    }
}
