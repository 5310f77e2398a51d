package org.jvmm.core.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongBinaryOperator;
import org.jvmm.core.bus.BusDevice;

/**
 * A bus device that records every access in order and answers reads from a function of
 * (offset, size). Thread-safe, so a test thread may read the log while a vCPU thread writes it.
 */
public class RecordingDevice implements BusDevice {

    /**
     * One access.
     *
     * @param write  true for a write
     * @param offset offset inside the device's range
     * @param size   access size in bytes
     * @param value  the value written, or the value the device answered
     */
    public record Access(boolean write, long offset, int size, long value) {}

    private final List<Access> log = new ArrayList<>();
    private final LongBinaryOperator reads;

    /** A device whose reads return 0. */
    public RecordingDevice() {
        this((offset, size) -> 0);
    }

    /**
     * A device whose reads return {@code reads.applyAsLong(offset, size)}.
     *
     * @param reads the answer
     */
    public RecordingDevice(LongBinaryOperator reads) {
        this.reads = reads;
    }

    @Override
    public long read(long offset, int size) {
        long value = reads.applyAsLong(offset, size);
        synchronized (log) {
            log.add(new Access(false, offset, size, value));
        }
        return value;
    }

    @Override
    public void write(long offset, int size, long value) {
        synchronized (log) {
            log.add(new Access(true, offset, size, value));
        }
        onWrite(offset, size, value);
    }

    /**
     * Called after a write is logged, on the vCPU thread; tests override it to react.
     *
     * @param offset offset inside the range
     * @param size   access size
     * @param value  the value
     */
    protected void onWrite(long offset, int size, long value) {}

    /** {@return a copy of the accesses so far} */
    public List<Access> accesses() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** {@return the values written so far, in order} */
    public List<Long> writes() {
        return accesses().stream().filter(Access::write).map(Access::value).toList();
    }

    /** {@return the number of accesses so far} */
    public int count() {
        synchronized (log) {
            return log.size();
        }
    }
}
