package org.jvmm.devices.serial;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Objects;
import org.jvmm.devices.thread.DeviceThread;

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

    private final InputStream in;
    private final Serial serial;
    private final byte[] buffer = new byte[Serial.FIFO_SIZE];
    private DeviceThread thread;

    private SerialInputPump(InputStream in, Serial serial) {
        this.in = Objects.requireNonNull(in, "in");
        this.serial = Objects.requireNonNull(serial, "serial");
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
        SerialInputPump pump = new SerialInputPump(in, serial);
        // A read of the host's stdin cannot be interrupted: close returns without waiting for it.
        pump.thread = DeviceThread.create(threadName, pump::pumpOnce, Thread::interrupt, Duration.ZERO);
        pump.thread.start();
        return pump;
    }

    /** One read from the host, delivered as the FIFO makes room; false at end of input. */
    private boolean pumpOnce() throws IOException, InterruptedException {
        int n = in.read(buffer);
        if (n < 0) {
            return false;
        }
        int done = 0;
        while (done < n && !thread.stopping()) {
            serial.awaitInputSpace();
            done += serial.enqueue(buffer, done, Math.min(n - done, serial.inputSpace()));
        }
        return true;
    }

    /** {@return whether the thread is still running} */
    public boolean isRunning() {
        return thread.isRunning();
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
        thread.close();
    }
}
