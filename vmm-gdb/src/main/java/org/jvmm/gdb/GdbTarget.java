package org.jvmm.gdb;

import java.util.BitSet;
import org.jvmm.core.kvm.GuestDebug;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.Translation;
import org.jvmm.core.memory.GuestMemory;

/**
 * A machine as the gdb stub drives it: all-stop, so either every vCPU runs or every vCPU is out of
 * {@code KVM_RUN}. vCPUs are numbered from 0; gdb sees vCPU n as thread n + 1.
 *
 * <p>Calls come from one stub thread. Except {@link #interrupt()}, every call other than
 * {@link #attach}, {@link #resume} and {@link #kill()} is made only while every vCPU is stopped,
 * so register and guest-debug ioctls never race a running vCPU.
 *
 * <p>After {@link #resume} the target reports exactly one {@link StopEvent} to the listener given
 * to {@link #attach}, once every vCPU is stopped again: because a vCPU made a debug exit, hit a
 * catchpoint, failed, because the guest ended, or because {@link #interrupt()} asked for it.
 */
public interface GdbTarget {

    /** {@return the number of vCPUs, fixed for the machine's life} */
    int vcpuCount();

    /**
     * The {@code KVM_GUESTDBG_*} flags this host's KVM accepts: {@code KVM_CHECK_EXTENSION
     * (KVM_CAP_SET_GUEST_DEBUG2)}, or {@link GuestDebug#BASELINE_FLAGS} where that capability is
     * missing. Leave {@link GuestDebug#USE_SW_BP} out where the guest's {@code int3} cannot reach
     * KVM (then gdb's software breakpoints use debug registers), {@link GuestDebug#BLOCKIRQ} where
     * absent (single-steps may then enter interrupt handlers).
     *
     * @return the flag mask
     */
    int guestDebugSupport();

    /**
     * A gdb client connected: stop every vCPU (if running), remember the listener for later stops,
     * and return the state the client first sees. Returns only once every vCPU is out of
     * {@code KVM_RUN}.
     *
     * @param listener where stops after each {@link #resume} are reported
     * @return {@link StopEvent.Stopped} naming the vCPU to show first, or {@link StopEvent.Exited}
     *         when the guest has already ended
     */
    StopEvent attach(StopListener listener);

    /**
     * KVM_GET_REGS of a stopped vCPU.
     *
     * @param vcpu the vCPU
     * @return a copy of its general registers
     */
    Registers registers(int vcpu);

    /**
     * KVM_SET_REGS of a stopped vCPU.
     *
     * @param vcpu      the vCPU
     * @param registers the new values
     */
    void setRegisters(int vcpu, Registers registers);

    /**
     * KVM_GET_SREGS of a stopped vCPU.
     *
     * @param vcpu the vCPU
     * @return a copy of its special registers
     */
    SpecialRegisters specialRegisters(int vcpu);

    /**
     * KVM_SET_SREGS of a stopped vCPU.
     *
     * @param vcpu      the vCPU
     * @param registers the new values
     */
    void setSpecialRegisters(int vcpu, SpecialRegisters registers);

    /** {@return the guest's RAM; the stub reads and writes it only while every vCPU is stopped} */
    GuestMemory memory();

    /**
     * Where a linear address lands for a stopped vCPU: {@code KVM_TRANSLATE}, or, where KVM lacks
     * it, {@code org.jvmm.core.arch.PageWalker} over the vCPU's special registers.
     *
     * @param vcpu          the vCPU whose paging applies
     * @param linearAddress the address gdb gave
     * @return the translation; not valid when unmapped
     */
    Translation translate(int vcpu, long linearAddress);

    /**
     * KVM_SET_GUEST_DEBUG on a stopped vCPU. The stub computes every flag and debug register,
     * single-step included, and calls this for every vCPU before each {@link #resume} whose state
     * changed; {@link GuestDebug#OFF} on every vCPU before {@link #detach()}.
     *
     * @param vcpu  the vCPU
     * @param debug the state
     */
    void setGuestDebug(int vcpu, GuestDebug debug);

    /**
     * Lets the given vCPUs run; the others stay stopped. Returns at once. Exactly one
     * {@link StopEvent} follows, once every vCPU is stopped again.
     *
     * @param vcpus the vCPUs to run, never empty
     */
    void resume(BitSet vcpus);

    /**
     * Asks for a stop (gdb's Ctrl-C): every vCPU leaves {@code KVM_RUN} and the target reports
     * {@link StopEvent.Stopped}, unless another stop is reported first. Returns at once; may be
     * called from any thread; does nothing while the vCPUs are stopped.
     */
    void interrupt();

    /**
     * The client detached or went away: forget the listener and let every vCPU run on (the stub has
     * already cleared breakpoints and the guest-debug state).
     */
    void detach();

    /** gdb's {@code kill}: stop the machine for good; the VMM exits. */
    void kill();
}
