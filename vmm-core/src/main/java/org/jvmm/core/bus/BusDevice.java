package org.jvmm.core.bus;

/**
 * A device on a port-I/O or MMIO bus, addressed by offset from the start of its range. Values travel
 * as longs so the exit path allocates nothing; only the low {@code size} bytes are meaningful.
 * The guest chooses offset, size and value, so implementations accept any of them without throwing.
 */
public interface BusDevice {

    /**
     * A guest read.
     *
     * @param offset offset inside the device's range
     * @param size   access size in bytes: 1, 2, 4 or 8
     * @return the value; bits above {@code size} bytes are ignored
     */
    long read(long offset, int size);

    /**
     * A guest write.
     *
     * @param offset offset inside the device's range
     * @param size   access size in bytes: 1, 2, 4 or 8
     * @param value  the value; only the low {@code size} bytes are meaningful
     */
    void write(long offset, int size, long value);
}
