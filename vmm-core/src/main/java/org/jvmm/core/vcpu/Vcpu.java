package org.jvmm.core.vcpu;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.VcpuFd;

/**
 * The run loop of one vCPU on a thread of its own: {@code KVM_RUN}, dispatch the exit, run again,
 * until an exit no device handles (HLT, shutdown, an error) or a stop request. Other threads pause,
 * resume and stop it; each of those kicks the thread out of a blocking {@code KVM_RUN}.
 *
 * <p>The loop allocates nothing per exit. A device that throws is a bug, not the guest's doing,
 * but it must not kill the vCPU thread: the access is dropped, counted and logged.
 */
public final class Vcpu implements AutoCloseable {

    private static final Logger LOG = System.getLogger(Vcpu.class.getName());
    private static final int RUNNING = 0;
    private static final int PAUSE_REQUESTED = 1;
    private static final int STOP_REQUESTED = 2;

    private final VcpuFd fd;
    private final ExitDispatcher dispatcher;
    private final KickSignal kick;
    private final CompletableFuture<VcpuExit> result = new CompletableFuture<>();
    private final Object pauseLock = new Object();
    private volatile int request = RUNNING;
    private volatile boolean paused;
    private volatile long deviceErrors;
    private Thread thread;

    /**
     * Prepares a vCPU to run on its own thread.
     *
     * @param fd         the vCPU, with its registers already set
     * @param dispatcher routes its exits
     */
    public Vcpu(VcpuFd fd, ExitDispatcher dispatcher) {
        this.fd = fd;
        this.dispatcher = dispatcher;
        this.kick = new KickSignal(fd);
    }

    /** {@return the vCPU fd} */
    public VcpuFd fd() {
        return fd;
    }

    /** {@return the dispatcher (and through it the exit accounting)} */
    public ExitDispatcher dispatcher() {
        return dispatcher;
    }

    /** {@return device exceptions caught on this vCPU's thread (each one a dropped access)} */
    public long deviceErrors() {
        return deviceErrors;
    }

    /**
     * Starts the thread.
     *
     * @return this
     */
    public synchronized Vcpu start() {
        if (thread != null) {
            throw new IllegalStateException("vCPU " + fd.id() + " already started");
        }
        thread = Thread.ofPlatform().name("vcpu-" + fd.id()).daemon(true).start(this::loop);
        return this;
    }

    /**
     * Runs the loop on the calling thread until the vCPU stops (for single-threaded embedders). The
     * thread's signal mask is as before when it returns.
     *
     * @return why it stopped
     */
    public VcpuExit runOnCurrentThread() {
        synchronized (this) {
            if (thread != null) {
                throw new IllegalStateException("vCPU " + fd.id() + " already started");
            }
            thread = Thread.currentThread();
        }
        loop();
        return result.join();
    }

    private void loop() {
        VcpuExit exit;
        try {
            kick.installOnCurrentThread();
            exit = runUntilStopped();
        } catch (KvmException e) {
            exit = new VcpuExit(ExitReason.FAIL_ENTRY, -1, e.getMessage(), "");
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "vCPU " + fd.id() + " thread failed", e);
            exit = new VcpuExit(ExitReason.UNSUPPORTED, -1, "vCPU thread failed: " + e, "");
        }
        try {
            kick.uninstall();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "vCPU " + fd.id() + ": restoring the thread's signal mask failed", e);
        }
        VcpuMilestones.stopped(this, exit);
        result.complete(exit);
    }

    private VcpuExit runUntilStopped() {
        KvmRun run = fd.kvmRun();
        VcpuMilestones.firstRun(this);
        while (true) {
            int r = request;
            if (r == STOP_REQUESTED) {
                return new VcpuExit(ExitReason.INTR, ExitReason.INTR.code(), "", "");
            }
            if (r == PAUSE_REQUESTED) {
                waitWhilePaused();
                continue;
            }
            if (step(run) == ExitDispatcher.STOP) {
                return describe(run, run.exitReason());
            }
        }
    }

    /**
     * One exit, all the loop does for it but the pause and stop check: {@code KVM_RUN}, the clock
     * read when this exit is timed, draining a kick, dispatch. Package-private for the benchmark of
     * the Java cost of an exit (vmm-bench), which runs it over a vCPU whose run call is a cheap
     * harmless syscall; the loop above is its only other caller.
     *
     * @param run this vCPU's {@code kvm_run}
     * @return {@link ExitDispatcher#CONTINUE} or {@link ExitDispatcher#STOP}
     */
    int step(KvmRun run) {
        ExitReason reason = fd.run();
        long exitNanos = dispatcher.exitClock(run);
        if (reason == ExitReason.INTR) {
            kick.drain();
        }
        try {
            return dispatcher.dispatch(run, exitNanos);
        } catch (RuntimeException e) {
            deviceErrors++;
            LOG.log(Level.WARNING, "device failed on vCPU " + fd.id() + " exit " + reason + "; access dropped", e);
            return ExitDispatcher.CONTINUE;
        }
    }

    private void waitWhilePaused() {
        synchronized (pauseLock) {
            paused = true;
            pauseLock.notifyAll();
            while (request == PAUSE_REQUESTED) {
                try {
                    pauseLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    request = STOP_REQUESTED;
                }
            }
            paused = false;
            pauseLock.notifyAll();
        }
    }

    private VcpuExit describe(KvmRun run, ExitReason reason) {
        String registers = "";
        if (reason != ExitReason.HLT && reason != ExitReason.SYSTEM_EVENT) {
            try {
                registers = fd.getRegisters() + "\n" + fd.getSpecialRegisters();
            } catch (KvmException e) {
                registers = "(registers unavailable: " + e.getMessage() + ")";
            }
        }
        return new VcpuExit(reason, run.exitReasonCode(), detail(run, reason), registers);
    }

    /** What KVM says about a stopping exit, from its part of {@code kvm_run}: one line for the user. */
    static String detail(KvmRun run, ExitReason reason) {
        return switch (reason) {
            case INTERNAL_ERROR -> (run.internalSuberror() == 1 ? "emulation failure" : "internal error")
                    + ", suberror " + run.internalSuberror() + ", data " + hex(run.internalData());
            case FAIL_ENTRY -> "hardware entry failure reason 0x" + Long.toHexString(run.failEntryReason())
                    + " on cpu " + run.failEntryCpu();
            case SYSTEM_EVENT -> "type " + run.systemEventType() + " (" + systemEventName(run.systemEventType())
                    + "), data " + hex(run.systemEventData());
            case DEBUG -> "exception " + run.debugException() + " at 0x" + Long.toHexString(run.debugPc())
                    + ", dr6 0x" + Long.toHexString(run.debugDr6()) + ", dr7 0x" + Long.toHexString(run.debugDr7());
            case UNKNOWN -> "hardware exit reason 0x" + Long.toHexString(run.hardwareExitReason());
            case SHUTDOWN -> "triple fault";
            default -> "";
        };
    }

    private static String systemEventName(int type) {
        return switch (type) {
            case 1 -> "shutdown";
            case 2 -> "reset";
            case 3 -> "crash";
            default -> "other";
        };
    }

    private static String hex(long[] words) {
        return Arrays.stream(words).mapToObj(w -> "0x" + Long.toHexString(w)).toList().toString();
    }

    /** Asks the loop to stop and kicks it out of KVM_RUN. Returns at once; see {@link #await}. */
    public void stop() {
        request = STOP_REQUESTED;
        synchronized (pauseLock) {
            pauseLock.notifyAll();
        }
        kick.kick();
    }

    /**
     * Pauses the guest: returns once the thread is out of KVM_RUN and waiting.
     *
     * @param timeoutMillis how long to wait
     * @return true if paused, false if the vCPU stopped or the wait timed out
     */
    public boolean pause(long timeoutMillis) {
        request = PAUSE_REQUESTED;
        kick.kick();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (pauseLock) {
            while (!paused && !result.isDone()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    pauseLock.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return paused;
        }
    }

    /** {@return whether the loop is paused} */
    public boolean isPaused() {
        return paused;
    }

    /** Lets a paused vCPU run again. */
    public void resume() {
        synchronized (pauseLock) {
            if (request == PAUSE_REQUESTED) {
                request = RUNNING;
            }
            pauseLock.notifyAll();
        }
    }

    /**
     * Waits for the loop to end.
     *
     * @param timeoutMillis how long to wait
     * @return why it stopped
     * @throws TimeoutException if it is still running
     */
    public VcpuExit await(long timeoutMillis) throws TimeoutException {
        try {
            return result.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted while waiting for vCPU " + fd.id());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** {@return the future completed when the loop ends} */
    public CompletableFuture<VcpuExit> result() {
        return result;
    }

    /**
     * Stops the loop, waits for the thread to leave KVM_RUN, then releases the kick resources. The
     * vCPU fd itself belongs to its VM. Harmless before or after the VM is closed, and when repeated.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null && t != Thread.currentThread() && !result.isDone()) {
            stop();
            try {
                result.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("vCPU " + fd.id() + " did not stop", e);
            }
        }
        kick.close();
    }
}
