package org.jvmm.core.vcpu;

import org.jvmm.core.kvm.KvmRun;

/**
 * Sees each exit after its device handled it and may hold the vCPU there: the hook of a debugger
 * (breakpoints, exit catchpoints). Installed only while a debugger is attached, so without one the
 * exit path pays a single null check. Runs on the vCPU thread; must not keep {@code run}.
 */
@FunctionalInterface
public interface ExitInterceptor {

    /**
     * Called once per exit, after the accounting.
     *
     * @param vcpu   the vCPU index
     * @param run    the exit; its fields are those of {@code reason}
     * @param reason the raw exit reason
     * @param action what the dispatcher decided: {@link ExitDispatcher#CONTINUE} or
     *               {@link ExitDispatcher#STOP}
     * @return {@code action} to leave it be, or it with {@link ExitDispatcher#HOLD} added (or
     *         another action) to hold the vCPU paused right here, before the exit's instruction
     *         completes
     */
    int intercept(int vcpu, KvmRun run, int reason, int action);
}
