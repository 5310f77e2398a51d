package org.jvmm.devices.serial;

import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link SerialEvents} that count, for exit reports and tests. One instance per device; the
 * counters may be read from any thread.
 */
public final class SerialCounters implements SerialEvents {

    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong interrupts = new AtomicLong();
    private final AtomicLong overruns = new AtomicLong();
    private final AtomicLong outputLost = new AtomicLong();

    /** Creates counters at zero. */
    public SerialCounters() {}

    @Override
    public void onByteOut() {
        bytesOut.incrementAndGet();
    }

    @Override
    public void onBytesIn(int count) {
        bytesIn.addAndGet(count);
    }

    @Override
    public void onInterrupt() {
        interrupts.incrementAndGet();
    }

    @Override
    public void onOverrun() {
        overruns.incrementAndGet();
    }

    @Override
    public void onOutputLost(int count) {
        outputLost.addAndGet(count);
    }

    /** {@return bytes the guest transmitted to the host} */
    public long bytesOut() {
        return bytesOut.get();
    }

    /** {@return bytes from the host that entered the receive FIFO} */
    public long bytesIn() {
        return bytesIn.get();
    }

    /** {@return how many times the interrupt line was raised} */
    public long interrupts() {
        return interrupts.get();
    }

    /** {@return received bytes lost to a full receive FIFO} */
    public long overruns() {
        return overruns.get();
    }

    /** {@return transmitted bytes dropped because the output stream failed} */
    public long outputLost() {
        return outputLost.get();
    }

    @Override
    public String toString() {
        return "out=" + bytesOut() + " in=" + bytesIn() + " interrupts=" + interrupts() + " overruns=" + overruns()
                + " outputLost=" + outputLost();
    }
}
