package org.jvmm.core.vcpu;

import org.jvmm.core.kvm.KvmRun;

/**
 * vmm-bench's way to {@code Vcpu.step}, the per-exit body of the vCPU loop, which vmm-core keeps
 * package-private: this class sits in the same package on the benchmarks jar's class path. Only
 * benchmarks use it.
 */
public final class VcpuSteps {

    private VcpuSteps() {}

    /**
     * One exit through the loop's own code: run, clock read when timed, dispatch.
     *
     * @param vcpu the vCPU
     * @param run  its {@code kvm_run}
     * @return {@link ExitDispatcher#CONTINUE} or {@link ExitDispatcher#STOP}
     */
    public static int step(Vcpu vcpu, KvmRun run) {
        return vcpu.step(run);
    }
}
