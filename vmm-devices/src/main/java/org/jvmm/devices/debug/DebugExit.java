package org.jvmm.devices.debug;

import java.util.Objects;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.devices.control.VmControl;

/**
 * QEMU's isa-debug-exit: a guest write of {@code v} asks the VM to stop with exit status
 * {@code ((v << 1) | 1) & 0xff}. QEMU calls {@code exit((v << 1) | 1)} and the operating system keeps
 * the low 8 bits of it; jvmm truncates here, so the status the machine sees is the one the process
 * ends with. It depends on bits 6:0 of {@code v} only (0x00 and 0x80 both give 1, 0x7f and 0xff
 * both give 255) and is always odd, so no value a guest writes, of any size, makes jvmm exit with
 * 0 ("pass") and a status of 1 still means "the guest wrote 0". Reads return all ones, as from an
 * undecoded port.
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
     * The exit status for a guest write of any size.
     *
     * @param value the value written
     * @return {@code ((value << 1) | 1) & 0xff}: odd, from 1 to 255
     */
    public static int status(long value) {
        return (int) (((value << 1) | 1) & 0xff);
    }

    @Override
    public long read(long offset, int size) {
        return Bus.allOnes(Math.clamp(size, 1, 8));
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset == 0) {
            control.requestExit(status(value));
        }
    }

    @Override
    public String toString() {
        return "debug-exit";
    }
}
