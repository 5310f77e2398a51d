package org.jvmm.core.vcpu;

import org.jvmm.core.kvm.ExitReason;

/**
 * Why a vCPU thread stopped, made once on the slow path: the exit that stopped it, a stop request, a
 * failed {@code KVM_RUN}, or a crash of the thread, with a human-readable account and, for errors,
 * the guest's registers.
 *
 * @param cause     what ended the loop
 * @param reason    the exit reason when {@code cause} is {@link Cause#EXIT}, else {@link ExitReason#UNSUPPORTED}
 * @param rawReason the raw exit code for {@link Cause#EXIT}, else -1
 * @param detail    e.g. "emulation failure, suberror 1, data [...]" or "EFAULT (Bad address)"; may be empty
 * @param registers a register and segment dump for error exits, or empty
 */
public record VcpuStop(Cause cause, ExitReason reason, int rawReason, String detail, String registers) {

    /** What ended a vCPU's loop. */
    public enum Cause {
        /** An exit no device handles: HLT, shutdown, a system event, an error exit. */
        EXIT,
        /** {@link Vcpu#stop()}: the VMM asked it to stop. */
        REQUESTED,
        /** {@code KVM_RUN} itself failed with an errno other than EINTR or EAGAIN. */
        RUN_FAILED,
        /** The vCPU thread threw: a bug in jvmm. */
        THREAD_FAILED,
        /** It did not stop within the time the VMM waited for it. */
        NOT_STOPPED
    }

    /**
     * A stop by an exit.
     *
     * @param reason    the exit reason
     * @param rawReason its raw code
     * @param detail    what KVM said about it
     * @param registers registers for error exits, or empty
     * @return the stop
     */
    public static VcpuStop exit(ExitReason reason, int rawReason, String detail, String registers) {
        return new VcpuStop(Cause.EXIT, reason, rawReason, detail, registers);
    }

    /** {@return a stop on request} */
    public static VcpuStop requested() {
        return new VcpuStop(Cause.REQUESTED, ExitReason.UNSUPPORTED, -1, "", "");
    }

    /**
     * A stop of another cause than an exit.
     *
     * @param cause  {@link Cause#RUN_FAILED}, {@link Cause#THREAD_FAILED} or {@link Cause#NOT_STOPPED}
     * @param detail what happened
     * @return the stop
     */
    public static VcpuStop failure(Cause cause, String detail) {
        return new VcpuStop(cause, ExitReason.UNSUPPORTED, -1, detail, "");
    }

    /**
     * {@return whether this is an error the user must hear about (not HLT, a system event or a stop request)}
     * A SHUTDOWN exit is one: it is a triple fault, which resets real hardware, so the guest crashed.
     */
    public boolean isError() {
        return switch (cause) {
            case REQUESTED -> false;
            case EXIT -> switch (reason) {
                case HLT, SYSTEM_EVENT -> false;
                default -> true;
            };
            case RUN_FAILED, THREAD_FAILED, NOT_STOPPED -> true;
        };
    }

    @Override
    public String toString() {
        String suffix = detail.isEmpty() ? "" : ": " + detail;
        return switch (cause) {
            case EXIT -> ExitReason.describe(rawReason) + suffix;
            case REQUESTED -> "stopped on request";
            case RUN_FAILED -> "KVM_RUN failed" + suffix;
            case THREAD_FAILED -> "vCPU thread failed" + suffix;
            case NOT_STOPPED -> "did not stop" + suffix;
        };
    }
}
