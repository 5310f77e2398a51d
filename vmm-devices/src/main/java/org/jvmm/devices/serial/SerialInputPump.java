package org.jvmm.devices.serial;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;

/**
 * A daemon thread that reads an {@link InputStream} (the host's stdin, a socket, a pipe) and
 * delivers what it reads to a {@link Serial}, never more than the receive FIFO has room for, so
 * typing or pasting into a guest that reads slowly waits instead of overrunning.
 *
 * <p>{@link #close()} stops it. A read that is already blocked can only end when the stream
 * delivers, reaches its end, or honours the thread's interrupt (a pipe does; {@code System.in}
 * does not): until then the thread stays parked in {@code read}, and whatever that read returns is
 * discarded. The thread is a daemon, so it never keeps the JVM alive. The stream is not closed: its
 * owner closes it.
 */
public final class SerialInputPump implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SerialInputPump.class.getName());

    private final InputStream in;
    private final Serial serial;
    private final Thread thread;
    private volatile boolean stopped;

    private SerialInputPump(InputStream in, Serial serial, String threadName) {
        this.in = Objects.requireNonNull(in, "in");
        this.serial = Objects.requireNonNull(serial, "serial");
        this.thread = Thread.ofPlatform().name(threadName).daemon().unstarted(this::run);
    }

    /**
     * Starts a pump on a daemon thread named {@code serial-input}.
     *
     * @param in     where the bytes come from
     * @param serial where they go
     * @return the running pump
     */
    public static SerialInputPump start(InputStream in, Serial serial) {
        return start(in, serial, "serial-input");
    }

    /**
     * Starts a pump on a daemon thread.
     *
     * @param in         where the bytes come from
     * @param serial     where they go
     * @param threadName the thread's name
     * @return the running pump
     */
    public static SerialInputPump start(InputStream in, Serial serial, String threadName) {
        SerialInputPump pump = new SerialInputPump(in, serial, threadName);
        pump.thread.start();
        return pump;
    }

    private void run() {
        byte[] buffer = new byte[Serial.FIFO_SIZE];
        try {
            while (!stopped) {
                int n = in.read(buffer);
                if (n < 0) {
                    return;
                }
                int done = 0;
                while (done < n && !stopped) {
                    serial.awaitInputSpace();
                    done += serial.enqueue(buffer, done, Math.min(n - done, serial.inputSpace()));
                }
            }
        } catch (InterruptedException | InterruptedIOException e) {
            // close() interrupted us: stop quietly.
        } catch (IOException e) {
            if (!stopped) {
                LOG.log(Level.WARNING, "serial: input stream failed, the guest gets no more input: " + e);
            }
        }
    }

    /** {@return whether the thread is still running} */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /**
     * Waits for the thread to end.
     *
     * @param timeout how long to wait at most
     * @return true if the thread has ended
     * @throws InterruptedException if the calling thread is interrupted
     */
    public boolean join(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }

    /** Stops delivering and interrupts the thread; returns without waiting for it. */
    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
