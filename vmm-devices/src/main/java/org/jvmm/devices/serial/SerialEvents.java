package org.jvmm.devices.serial;

/**
 * What a {@link Serial} reports for metrics. Every method defaults to doing nothing; implementations
 * override what they count. Called with the device's lock held, on a vCPU thread or on the thread
 * that delivers input, so implementations must be quick, must not block and must not call back
 * into the device.
 */
public interface SerialEvents {

    /** Reports nothing. */
    SerialEvents NONE = new SerialEvents() {
        @Override
        public String toString() {
            return "none";
        }
    };

    /** The guest transmitted one byte to the host (loopback bytes do not count). */
    default void onByteOut() {}

    /**
     * Bytes from the host entered the receive FIFO.
     *
     * @param count how many, at least 1
     */
    default void onBytesIn(int count) {}

    /** The interrupt line was raised. */
    default void onInterrupt() {}

    /** A received byte was lost because the receive FIFO was full (LSR.OE was set). */
    default void onOverrun() {}

    /**
     * The output stream failed and transmitted bytes were dropped.
     *
     * @param count how many bytes were dropped
     */
    default void onOutputLost(int count) {}
}
