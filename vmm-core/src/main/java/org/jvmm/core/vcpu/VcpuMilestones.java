package org.jvmm.core.vcpu;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * The two instants a VMM's start-up is measured by, for the whole process: a vCPU about to make its
 * first {@code KVM_RUN}, and a vCPU whose loop has ended (its guest memory still mapped). A front
 * end's start-up report installs a listener; none is installed by default, and each hook then costs
 * one volatile read per vCPU lifetime, never one per exit.
 */
public final class VcpuMilestones {

    private static volatile Listener listener;

    private VcpuMilestones() {}

    /** Hears the milestones, on the vCPU's own thread; must be quick and must not throw. */
    public interface Listener {

        /**
         * The vCPU is about to make its first {@code KVM_RUN}: its registers are set and its kick
         * signal installed.
         *
         * @param vcpu the vCPU
         */
        void firstRun(Vcpu vcpu);

        /**
         * The vCPU's loop has ended; {@link Vcpu#await} returns once this does, and only then can
         * the machine unmap the guest's memory.
         *
         * @param vcpu the vCPU
         * @param stop why it stopped
         */
        void stopped(Vcpu vcpu, VcpuStop stop);
    }

    /**
     * Installs the process's listener.
     *
     * @param l the listener, or null to remove it
     */
    public static void setListener(Listener l) {
        listener = l;
    }

    static void firstRun(Vcpu vcpu) {
        Listener l = listener;
        if (l != null) {
            try {
                l.firstRun(vcpu);
            } catch (RuntimeException e) {
                Log.LOG.log(Level.WARNING, "vCPU milestone listener failed", e);
            }
        }
    }

    static void stopped(Vcpu vcpu, VcpuStop stop) {
        Listener l = listener;
        if (l != null) {
            try {
                l.stopped(vcpu, stop);
            } catch (RuntimeException e) {
                Log.LOG.log(Level.WARNING, "vCPU milestone listener failed", e);
            }
        }
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final Logger LOG = System.getLogger(VcpuMilestones.class.getName());
    }
}
