package org.jvmm.machine;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.stats.PhaseReport;
import org.jvmm.core.vcpu.VcpuStop;

/**
 * How a run ended and what it cost.
 *
 * @param cause        why the machine stopped
 * @param vcpuStops    why each vCPU stopped, by vCPU index
 * @param perVcpu      the exit accounting of each vCPU
 * @param kvmDelta     KVM's in-kernel counters over the run, by name (empty when the host has none)
 * @param wallNanos    wall time from the first KVM_RUN to the last vCPU's stop
 * @param guestResults a raw payload's result words from the parameter block; empty for a kernel
 * @param notes        where the machine fell back from what was asked (no ioeventfd, ...)
 * @param hostFaults   jvmm's own faults during the run ({@link Machine#hostFaults}); 0 unless jvmm has a bug
 * @param phases       the exits per phase the guest marked with the phase marker ({@link PhaseReport#NONE}
 *                     when it marked none)
 */
public record RunResult(StopCause cause, List<VcpuStop> vcpuStops, List<ExitStatsSnapshot> perVcpu,
                        Map<String, Long> kvmDelta, long wallNanos, long[] guestResults, List<String> notes,
                        long hostFaults, PhaseReport phases) {

    /** The status of a run in which jvmm itself faulted (EX_SOFTWARE): even, so no debug-exit status. */
    public static final int HOST_FAULT_STATUS = 70;
    /** The status of a run that ended in an error (a vCPU error, a timeout). */
    public static final int ERROR_STATUS = 1;

    /**
     * Copies the collections.
     *
     * @param cause        cause
     * @param vcpuStops    per-vCPU stops
     * @param perVcpu      per-vCPU accounting
     * @param kvmDelta     KVM counters
     * @param wallNanos    wall time
     * @param guestResults result words
     * @param notes        notes
     * @param hostFaults   host faults
     * @param phases       exits per phase
     */
    public RunResult {
        Objects.requireNonNull(phases, "phases");
        vcpuStops = List.copyOf(vcpuStops);
        perVcpu = List.copyOf(perVcpu);
        kvmDelta = Map.copyOf(kvmDelta);
        guestResults = guestResults.clone();
        notes = List.copyOf(notes);
    }

    /**
     * A run whose guest marked no phases.
     *
     * @param cause        cause
     * @param vcpuStops    per-vCPU stops
     * @param perVcpu      per-vCPU accounting
     * @param kvmDelta     KVM counters
     * @param wallNanos    wall time
     * @param guestResults result words
     * @param notes        notes
     * @param hostFaults   host faults
     */
    public RunResult(StopCause cause, List<VcpuStop> vcpuStops, List<ExitStatsSnapshot> perVcpu,
                     Map<String, Long> kvmDelta, long wallNanos, long[] guestResults, List<String> notes,
                     long hostFaults) {
        this(cause, vcpuStops, perVcpu, kvmDelta, wallNanos, guestResults, notes, hostFaults, PhaseReport.NONE);
    }

    /** {@return a copy of the result words} */
    @Override
    public long[] guestResults() {
        return guestResults.clone();
    }

    /**
     * The process exit status this run maps to, as QEMU's conventions have it: the guest's debug-exit
     * status ((v &lt;&lt; 1) | 1), 0 after a power-off, reset, halt or a stop by the caller,
     * {@value #ERROR_STATUS} after an error, and {@value #HOST_FAULT_STATUS} whenever jvmm itself
     * faulted, whatever the guest did.
     *
     * @return the status
     */
    public int exitStatus() {
        if (hostFaults > 0) {
            return HOST_FAULT_STATUS;
        }
        return switch (cause.kind()) {
            case GUEST_EXIT -> cause.guestStatus();
            case VCPU_ERROR, TIMEOUT -> ERROR_STATUS;
            case POWER_OFF, RESET, HALT, REQUESTED -> 0;
        };
    }

    /** {@return whether the run ended in an error or jvmm faulted} */
    public boolean error() {
        return cause.isError() || hostFaults > 0;
    }

    /** {@return one line: why the machine stopped} */
    public String summary() {
        return cause.description();
    }

    /** {@return all vCPUs' accounting merged} */
    public ExitStatsSnapshot merged() {
        return ExitStatsSnapshot.merge(perVcpu);
    }
}
