package org.jvmm.gdb;

/** Where a {@link GdbTarget} reports that every vCPU has stopped, and why. */
@FunctionalInterface
public interface StopListener {

    /**
     * Every vCPU is out of {@code KVM_RUN}. Called from any thread (typically the vCPU that
     * stopped); returns at once without blocking.
     *
     * @param event why
     */
    void stopped(StopEvent event);
}
