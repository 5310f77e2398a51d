package org.jvmm.devices.serial;

import java.io.Flushable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.jvmm.devices.thread.DeviceThread;

/**
 * A daemon thread that flushes a {@link Flushable} (a {@link Serial}) every period, so output a
 * guest wrote shows up within one period after it stops writing, while a guest that writes a lot
 * still pays for one stream write per buffer and not per byte. Closing it stops the thread and
 * flushes one last time.
 */
public final class OutputFlusher implements AutoCloseable {

    /** A period short enough for an interactive console. */
    public static final Duration DEFAULT_PERIOD = Duration.ofMillis(10);

    /** How long close waits for the thread: a flush in progress, at most. */
    private static final Duration PATIENCE = Duration.ofSeconds(1);

    private final Flushable target;
    private final long periodNanos;
    private DeviceThread thread;

    private OutputFlusher(Flushable target, Duration period) {
        this.target = Objects.requireNonNull(target, "target");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("flush period must be positive: " + period);
        }
        this.periodNanos = period.toNanos();
    }

    /**
     * Starts flushing every {@link #DEFAULT_PERIOD} on a daemon thread named {@code serial-flush}.
     *
     * @param target what to flush
     * @return the running flusher
     */
    public static OutputFlusher start(Flushable target) {
        return start(target, DEFAULT_PERIOD, "serial-flush");
    }

    /**
     * Starts flushing periodically on a daemon thread.
     *
     * @param target     what to flush
     * @param period     how often, positive
     * @param threadName the thread's name
     * @return the running flusher
     * @throws IllegalArgumentException if the period is not positive
     */
    public static OutputFlusher start(Flushable target, Duration period, String threadName) {
        OutputFlusher flusher = new OutputFlusher(target, period);
        flusher.thread = DeviceThread.start(threadName, flusher::flushAfterAPeriod, LockSupport::unpark, PATIENCE);
        return flusher;
    }

    private boolean flushAfterAPeriod() {
        LockSupport.parkNanos(this, periodNanos);
        flushOnce();
        return true;
    }

    private void flushOnce() {
        try {
            target.flush();
        } catch (IOException e) {
            Log.LOG.log(Level.DEBUG, "flush failed: " + e);
        }
    }

    /** Stops the thread, waits for it briefly, and flushes once more. */
    @Override
    public void close() {
        thread.close();
        flushOnce();
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(OutputFlusher.class.getName());
    }
}
