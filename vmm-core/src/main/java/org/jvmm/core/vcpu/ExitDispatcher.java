package org.jvmm.core.vcpu;

import org.jvmm.core.bus.Bus;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.stats.ExitStats;

/**
 * Routes one exit to the device that answers it and accounts for it: port I/O (every access of a
 * string instruction) to the port bus, MMIO to the MMIO bus. A plain function of the
 * {@code kvm_run} contents, so it is tested and benchmarked with synthetic exits and no KVM. It
 * allocates nothing; unclaimed accesses read as all ones and are counted.
 */
public final class ExitDispatcher {

    /** Run the vCPU again. */
    public static final int CONTINUE = 0;
    /** Stop the vCPU: the exit is not one a device can handle (HLT, shutdown, errors, ...). */
    public static final int STOP = 1;
    /**
     * Added to {@link #CONTINUE} or {@link #STOP} by an {@link ExitInterceptor}: the vCPU pauses
     * here first, without completing the exit's instruction (a debugger shows the guest at it),
     * and does what the rest of the action says once resumed.
     */
    public static final int HOLD = 2;

    private final Bus pio;
    private final Bus mmio;
    private final ExitStats stats;
    private volatile ExitListener listener;
    private volatile ExitInterceptor interceptor;

    /**
     * Creates a dispatcher.
     *
     * @param pio   the port bus
     * @param mmio  the MMIO bus
     * @param stats where exits are counted (its {@link ExitStats#enabled()} switch is honoured)
     */
    public ExitDispatcher(Bus pio, Bus mmio, ExitStats stats) {
        this.pio = pio;
        this.mmio = mmio;
        this.stats = stats;
    }

    /**
     * Installs a listener that sees every exit (tracing). Without one, the exit path pays a single
     * null check.
     *
     * @param listener the listener, or null to remove it
     */
    public void setListener(ExitListener listener) {
        this.listener = listener;
    }

    /**
     * Installs a debugger's hook that may hold the vCPU at an exit. Without one, the exit path
     * pays a single null check.
     *
     * @param interceptor the hook, or null to remove it
     */
    public void setInterceptor(ExitInterceptor interceptor) {
        this.interceptor = interceptor;
    }

    /**
     * The vCPU loop's clock read when {@code KVM_RUN} returns: {@link System#nanoTime()} when this
     * exit is to be timed, else {@link ExitStats#UNTIMED}. A tracing listener times every exit; the
     * accounting times the sample {@link ExitStats#shouldTime} picks, and nothing when it is off.
     * Where the clock is not the TSC (kvm-clock in a VM) one read costs more than a whole dispatch,
     * which is why most exits are counted without one.
     *
     * @param run the exit just returned
     * @return the time to pass to {@link #dispatch}
     */
    public long exitClock(KvmRun run) {
        return exitClock(run.exitReasonCode());
    }

    /**
     * {@link #exitClock(KvmRun)} for an exit whose reason code the caller has read already.
     *
     * @param code the exit's raw reason code
     * @return the time to pass to {@link #dispatch}
     */
    public long exitClock(int code) {
        if (listener != null || (stats.enabled() && stats.shouldTime(code))) {
            return System.nanoTime();
        }
        return ExitStats.UNTIMED;
    }

    /** {@return the accounting this dispatcher records into} */
    public ExitStats stats() {
        return stats;
    }

    /**
     * Handles the exit described by {@code run}.
     *
     * @param run        the exit
     * @param exitNanos  what {@link #exitClock} returned for it: {@link System#nanoTime()} when
     *                   KVM_RUN returned, or {@link ExitStats#UNTIMED} to count the exit untimed
     * @return {@link #CONTINUE} or {@link #STOP}, with {@link #HOLD} when an interceptor asks
     */
    public int dispatch(KvmRun run, long exitNanos) {
        return dispatch(run, run.exitReasonCode(), exitNanos);
    }

    /**
     * {@link #dispatch(KvmRun, long)} for an exit whose reason code the caller has read already: the
     * vCPU loop reads each field of {@code kvm_run} once per exit.
     *
     * @param run       the exit
     * @param code      its raw reason code, {@link KvmRun#exitReasonCode()}
     * @param exitNanos what {@link #exitClock} returned for it
     * @return {@link #CONTINUE} or {@link #STOP}, with {@link #HOLD} when an interceptor asks
     */
    public int dispatch(KvmRun run, int code, long exitNanos) {
        int action;
        int port = -1;
        boolean unclaimed = false;
        int mmioDevice = -1;
        if (code == ExitReason.IO.code()) {
            long io = run.ioHeader();
            port = KvmRun.ioPort(io);
            unclaimed = handleIo(run, io, port);
            action = CONTINUE;
        } else if (code == ExitReason.MMIO.code()) {
            mmioDevice = handleMmio(run);
            action = CONTINUE;
        } else if (code == ExitReason.INTR.code()) {
            action = CONTINUE;
        } else {
            action = STOP;
        }
        long nanos = ExitStats.UNTIMED;
        if (exitNanos != ExitStats.UNTIMED) {
            nanos = System.nanoTime() - exitNanos;
            ExitListener l = listener;
            if (l != null) {
                l.exitHandled(stats.vcpu(), run, code, nanos);
            }
        }
        if (stats.enabled()) {
            stats.record(code, nanos);
            if (port >= 0) {
                stats.recordPort(port, nanos, unclaimed);
            } else if (code == ExitReason.MMIO.code()) {
                stats.recordMmio(mmioDevice, nanos);
            }
        }
        ExitInterceptor hook = interceptor;
        return hook == null ? action : hook.intercept(stats.vcpu(), run, code, action);
    }

    /** Returns true when no device claims the port. */
    private boolean handleIo(KvmRun run, long io, int port) {
        Bus.Entry entry = pio.lookup(port);
        int size = KvmRun.ioSize(io);
        int count = KvmRun.ioCount(io);
        boolean out = KvmRun.ioDirection(io) == KvmRun.IO_OUT;
        for (int i = 0; i < count; i++) {
            if (entry == null) {
                if (!out) {
                    run.setIoValue(io, i, Bus.allOnes(size));
                }
            } else if (out) {
                entry.device().write(port - entry.range().base(), size, run.ioValue(io, i));
            } else {
                run.setIoValue(io, i, entry.device().read(port - entry.range().base(), size));
            }
        }
        return entry == null;
    }

    /** Returns the bus entry index, or -1 when unclaimed. */
    private int handleMmio(KvmRun run) {
        long address = run.mmioAddress();
        int length = run.mmioLength();
        Bus.Entry entry = mmio.lookup(address);
        if (run.mmioIsWrite()) {
            if (entry != null) {
                entry.device().write(address - entry.range().base(), length, run.mmioData());
            }
        } else {
            run.setMmioData(entry == null ? Bus.allOnes(length) : entry.device().read(address - entry.range().base(), length));
        }
        return entry == null ? -1 : entry.index();
    }
}
