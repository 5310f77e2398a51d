package org.jvmm.devices.debug;

import java.util.Objects;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.devices.control.VmControl;

/**
 * QEMU's isa-debug-exit: a guest write of {@code v} asks the VM to stop with exit status
 * {@code (v << 1) | 1}, so a guest can never make jvmm exit with 0 by accident and a status of 1 still
 * means "the guest wrote 0". Only the low {@code size} bytes of the write count; the status is
 * computed in 64 bits and then truncated to an {@code int} (a process keeps the low 8 bits anyway).
 * Reads return all ones, as from an undecoded port.
 */
public final class DebugExit implements BusDevice {

    /** Ports it takes: one; wider writes to it arrive at offset 0 (QEMU places it at 0xf4, and so does jvmm). */
    public static final int PORTS = 1;

    private final VmControl control;

    /**
     * Creates the device.
     *
     * @param control what to ask to stop the VM
     */
    public DebugExit(VmControl control) {
        this.control = Objects.requireNonNull(control, "control");
    }

    /**
     * The exit status for a guest write.
     *
     * @param value the value written
     * @param size  the access size in bytes
     * @return {@code (v << 1) | 1} with {@code v} the low {@code size} bytes of {@code value}
     */
    public static int status(long value, int size) {
        long v = size >= 1 && size < 8 ? value & Bus.allOnes(size) : value;
        return (int) ((v << 1) | 1);
    }

    @Override
    public long read(long offset, int size) {
        return Bus.allOnes(Math.clamp(size, 1, 8));
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset == 0) {
            control.requestExit(status(value, size));
        }
    }

    @Override
    public String toString() {
        return "debug-exit";
    }
}
