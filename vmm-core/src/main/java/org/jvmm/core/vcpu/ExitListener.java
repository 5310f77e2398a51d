package org.jvmm.core.vcpu;

import org.jvmm.core.kvm.KvmRun;

/**
 * Sees each exit after its device handled it, on the vCPU thread: the hook for tracing (JFR events
 * in the CLI). Implementations must be quick and must not keep {@code run}: it is the live page.
 */
@FunctionalInterface
public interface ExitListener {

    /**
     * Called once per exit.
     *
     * @param vcpu   the vCPU index
     * @param run    the exit; its fields are those of {@code reason}
     * @param reason the raw exit reason
     * @param nanos  handling time in user space
     */
    void exitHandled(int vcpu, KvmRun run, int reason, long nanos);
}
