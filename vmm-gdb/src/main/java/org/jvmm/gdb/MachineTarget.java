package org.jvmm.gdb;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jvmm.core.kvm.Capability;
import org.jvmm.core.kvm.DebugExit;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.GuestDebug;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.Translation;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.stats.ExitReport;
import org.jvmm.core.vcpu.ExitDispatcher;
import org.jvmm.core.vcpu.ExitInterceptor;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.machine.Machine;
import org.jvmm.machine.RunResult;
import org.jvmm.machine.StopCause;

/**
 * The gdb stub's view of a started {@link Machine}: stops are machine pauses, registers and
 * guest-debug state go through {@link Machine#whilePaused} on each vCPU's own thread.
 *
 * <p>While a client is attached an {@link ExitInterceptor} sits on every vCPU's dispatcher: a
 * {@code KVM_EXIT_DEBUG}, an exit a {@link Catchpoint} matches, or an exit that would end a vCPU
 * in error holds that vCPU at the exit (its instruction not completed) and pauses the others; a
 * thread of the target waits until every vCPU is out of {@code KVM_RUN} and reports the stop.
 * Without a client no interceptor is installed: the exit path is as without a debugger.
 */
public final class MachineTarget implements GdbTarget, AutoCloseable {

    private static final Logger LOG = System.getLogger(MachineTarget.class.getName());
    private static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(30);

    private final Machine machine;
    private final List<Vcpu> vcpus;
    private final Catchpoints catchpoints = new Catchpoints();
    private final CompletableFuture<Void> ended;
    private final ExitInterceptor interceptor = this::intercept;
    private final Object lock = new Object();
    private final Thread stopper;
    private final long createdNanos = System.nanoTime();
    private final int guestDebug;
    // Under lock: the client's listener, whether vCPUs run since the last resume with no stop
    // reported yet, the first cause of the stop under way, and the vCPU to show after Ctrl-C.
    private StopListener listener;
    private boolean running;
    private StopEvent pending;
    private int lastResumed;
    private boolean closed;

    /**
     * A target over a machine that is started (or about to be, before a client attaches).
     *
     * @param machine the machine
     */
    public MachineTarget(Machine machine) {
        this.machine = machine;
        this.vcpus = machine.vcpus();
        this.ended = CompletableFuture.allOf(vcpus.stream().map(Vcpu::result).toArray(CompletableFuture[]::new));
        this.guestDebug = guestDebugFlags(vcpus.get(0).fd().vm().checkExtension(Capability.SET_GUEST_DEBUG2),
                Path.of("/sys/module"));
        this.stopper = Thread.ofPlatform().daemon().name("gdb-stops").start(this::reportStops);
        ended.whenComplete((v, e) -> guestEnded());
    }

    /**
     * The guest-debug flags the stub may use: what {@code KVM_CAP_SET_GUEST_DEBUG2} offers (the baseline
     * where it says nothing), less {@code USE_SW_BP} on a PVM host, whose instruction emulator cannot run
     * the {@code int3} a software breakpoint plants at CPL0 (HOST.md): there {@code Z0} takes a debug
     * register instead.
     *
     * @param capability what {@code KVM_CHECK_EXTENSION(KVM_CAP_SET_GUEST_DEBUG2)} returned
     * @param sysModule  the directory of loaded kernel modules ({@code /sys/module})
     */
    static int guestDebugFlags(int capability, Path sysModule) {
        int flags = capability > 0 ? capability : GuestDebug.BASELINE_FLAGS;
        if (Files.isDirectory(sysModule.resolve("kvm_pvm"))) {
            flags &= ~GuestDebug.USE_SW_BP;
        }
        return flags;
    }

    /** {@return the exit catchpoints {@code monitor catch} edits and the exit path consults} */
    public Catchpoints catchpoints() {
        return catchpoints;
    }

    /** {@return the {@code monitor} commands of this machine: {@code catch} and {@code exits}} */
    public List<MonitorCommand> commands() {
        return List.of(new CatchCommand(catchpoints), new MonitorCommand() {
            @Override
            public String name() {
                return "exits";
            }

            @Override
            public String help() {
                return "exits: the exit report of the run so far (per reason, per device, KVM's counters)";
            }

            @Override
            public String run(String arguments) {
                return exitReport();
            }
        });
    }

    /** {@return the live exit report, as {@code jvmm run --exit-stats} prints it at the end} */
    String exitReport() {
        return ExitReport.format(machine.exitStats(), machine.pio(), machine.mmio(), machine.kvmCountersSinceStart(),
                System.nanoTime() - createdNanos, machine.phases());
    }

    @Override
    public int vcpuCount() {
        return vcpus.size();
    }

    @Override
    public int guestDebugSupport() {
        return guestDebug;
    }

    @Override
    public StopEvent attach(StopListener stopListener) {
        if (ended.isDone()) {
            return exited();
        }
        if (!machine.pause(PAUSE_TIMEOUT)) {
            throw new IllegalStateException("the vCPUs did not pause within " + PAUSE_TIMEOUT.toSeconds() + " s");
        }
        synchronized (lock) {
            listener = stopListener;
            running = false;
            pending = null;
        }
        vcpus.forEach(v -> v.dispatcher().setInterceptor(interceptor));
        return ended.isDone() ? exited() : new StopEvent.Stopped(0);
    }

    @Override
    public Registers registers(int vcpu) {
        return onVcpu(vcpu, VcpuFd::getRegisters);
    }

    @Override
    public void setRegisters(int vcpu, Registers registers) {
        onVcpu(vcpu, fd -> {
            fd.setRegisters(registers);
            return null;
        });
    }

    @Override
    public SpecialRegisters specialRegisters(int vcpu) {
        return onVcpu(vcpu, VcpuFd::getSpecialRegisters);
    }

    @Override
    public void setSpecialRegisters(int vcpu, SpecialRegisters registers) {
        onVcpu(vcpu, fd -> {
            fd.setSpecialRegisters(registers);
            return null;
        });
    }

    @Override
    public GuestMemory memory() {
        return machine.memory();
    }

    @Override
    public Translation translate(int vcpu, long linearAddress) {
        return onVcpu(vcpu, fd -> fd.translate(linearAddress));
    }

    @Override
    public void setGuestDebug(int vcpu, GuestDebug debug) {
        onVcpu(vcpu, fd -> {
            fd.setGuestDebug(debug);
            return null;
        });
    }

    /**
     * KVM wants a vCPU's ioctls from the thread that runs it; a vCPU whose loop has ended (a
     * {@code hlt} without irqchip) has no thread left, so its fd is used directly.
     */
    private <T> T onVcpu(int vcpu, Function<VcpuFd, T> task) {
        Vcpu v = vcpus.get(vcpu);
        if (v.result().isDone()) {
            return task.apply(v.fd());
        }
        return machine.whilePaused(vcpu, task);
    }

    @Override
    public void resume(BitSet resumed) {
        synchronized (lock) {
            running = true;
            pending = null;
            lastResumed = resumed.nextSetBit(0);
            if (ended.isDone()) {
                stop(exited());
                return;
            }
        }
        for (int i = resumed.nextSetBit(0); i >= 0; i = resumed.nextSetBit(i + 1)) {
            vcpus.get(i).resume();
        }
    }

    @Override
    public void interrupt() {
        synchronized (lock) {
            if (running) {
                stop(new StopEvent.Stopped(lastResumed));
            }
        }
    }

    @Override
    public void detach() {
        vcpus.forEach(v -> v.dispatcher().setInterceptor(null));
        synchronized (lock) {
            listener = null;
            running = false;
            pending = null;
        }
        machine.resume();
    }

    @Override
    public void kill() {
        vcpus.forEach(v -> v.dispatcher().setInterceptor(null));
        synchronized (lock) {
            listener = null;
            running = false;
            pending = null;
        }
        machine.stop("killed from gdb");
    }

    /** Stops the thread that reports stops; the machine is left as it is. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }

    /** Under lock: the first cause of a stop wins; every vCPU is asked to pause. */
    private void stop(StopEvent event) {
        if (pending == null && running) {
            pending = event;
            machine.requestPause();
            lock.notifyAll();
        }
    }

    /** On a vCPU thread, after its device handled the exit: hold it there if the debugger wants it. */
    private int intercept(int vcpu, KvmRun run, int reason, int action) {
        StopEvent event = null;
        int held = action | ExitDispatcher.HOLD;
        if (reason == ExitReason.IO.code()) {
            boolean out = run.ioDirection() == KvmRun.IO_OUT;
            Catchpoint c = catchpoints.matchIo(run.ioPort(), out);
            if (c != null) {
                event = new StopEvent.Caught(vcpu, c, "io " + (out ? "out" : "in") + " 0x" + Integer.toHexString(run.ioPort())
                        + " size " + run.ioSize() + " value 0x" + Long.toHexString(run.ioValue(0)));
            }
        } else if (reason == ExitReason.MMIO.code()) {
            boolean write = run.mmioIsWrite();
            Catchpoint c = catchpoints.matchMmio(run.mmioAddress(), run.mmioLength(), write);
            if (c != null) {
                event = new StopEvent.Caught(vcpu, c, "mmio " + (write ? "write" : "read") + " 0x"
                        + Long.toHexString(run.mmioAddress()) + " size " + run.mmioLength() + " value 0x"
                        + Long.toHexString(run.mmioData()));
            }
        } else if (reason == ExitReason.DEBUG.code()) {
            event = new StopEvent.Debug(vcpu, DebugExit.of(run));
            held = ExitDispatcher.CONTINUE | ExitDispatcher.HOLD;
        } else if (reason == ExitReason.HLT.code()) {
            Catchpoint c = catchpoints.matchHlt();
            if (c != null) {
                event = new StopEvent.Caught(vcpu, c, "hlt");
            }
        } else if (action == ExitDispatcher.STOP && isFault(reason)) {
            event = new StopEvent.Faulted(vcpu, ExitReason.of(reason) + " exit: the vCPU cannot go on");
        }
        if (event == null) {
            return action;
        }
        synchronized (lock) {
            if (listener == null) {
                return action;
            }
            stop(event);
        }
        return held;
    }

    private static boolean isFault(int reason) {
        return reason == ExitReason.SHUTDOWN.code() || reason == ExitReason.INTERNAL_ERROR.code()
                || reason == ExitReason.FAIL_ENTRY.code() || reason == ExitReason.UNKNOWN.code();
    }

    private void guestEnded() {
        synchronized (lock) {
            stop(exited());
        }
    }

    private StopEvent exited() {
        StopCause cause = machine.stopCause();
        int status;
        if (machine.hostFaults() > 0) {
            status = RunResult.HOST_FAULT_STATUS;
        } else if (cause == null) {
            status = 0;
        } else if (cause.kind() == StopCause.Kind.GUEST_EXIT) {
            status = cause.guestStatus();
        } else {
            status = cause.isError() ? RunResult.ERROR_STATUS : 0;
        }
        return new StopEvent.Exited(status & 0xff);
    }

    /** The reporting thread: waits for every vCPU to be out of KVM_RUN, then tells the client why. */
    private void reportStops() {
        while (true) {
            StopEvent event;
            synchronized (lock) {
                while (!closed && (pending == null || !running)) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                event = pending;
            }
            if (!ended.isDone() && !machine.pause(PAUSE_TIMEOUT)) {
                LOG.log(Level.WARNING, "gdb: the vCPUs did not all pause within {0} s; reporting the stop anyway",
                        PAUSE_TIMEOUT.toSeconds());
            }
            StopListener l;
            synchronized (lock) {
                if (!running || pending != event) {
                    continue; // detached, killed or resumed meanwhile
                }
                running = false;
                l = listener;
            }
            if (ended.isDone() && !(event instanceof StopEvent.Exited)) {
                event = exited();
            }
            if (l != null) {
                l.stopped(event);
            }
        }
    }
}
