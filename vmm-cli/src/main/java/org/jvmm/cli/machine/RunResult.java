package org.jvmm.cli.machine;

import java.util.List;
import java.util.Map;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.vcpu.VcpuExit;

/**
 * How a run ended and what it cost.
 *
 * @param exitStatus   the process exit status the run maps to: (v &lt;&lt; 1) | 1 after a debug-exit
 *                     write of v, 0 after HLT or shutdown requested by the guest, 1 after an error
 * @param summary      one line: why the VM stopped
 * @param vcpuExits    why each vCPU stopped
 * @param perVcpu      exit accounting per vCPU
 * @param kvmDelta     KVM's in-kernel counters over the run (empty when the host has none)
 * @param wallNanos    wall time from the first KVM_RUN to the last vCPU's stop
 * @param results      the guest's result words from the parameter block
 * @param error        whether the run ended in an error (emulation failure, entry failure, timeout...)
 * @param hostFaults   jvmm's own faults during the run ({@link RawMachine#hostFaults}); 0 unless jvmm has a bug
 */
public record RunResult(int exitStatus, String summary, List<VcpuExit> vcpuExits, List<ExitStatsSnapshot> perVcpu,
                        Map<String, Long> kvmDelta, long wallNanos, long[] results, boolean error, long hostFaults) {

    /** {@return all vCPUs' accounting merged} */
    public ExitStatsSnapshot merged() {
        return ExitStatsSnapshot.merge(perVcpu);
    }
}
