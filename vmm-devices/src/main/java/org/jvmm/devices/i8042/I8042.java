package org.jvmm.devices.i8042;

import java.lang.System.Logger.Level;
import java.util.Objects;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.devices.control.VmControl;

/**
 * A minimal i8042 at ports 0x60 (data) and 0x64 (status on read, command on write), registered as
 * one range of {@link #PORTS} ports; the three in between read as all ones and drop writes. Every
 * port is 8 bits wide: an access of 2 or 4 bytes is one byte access per port, as on a PC, so its
 * bytes on ports past the range read as all ones and a command can arrive in any byte of it.
 *
 * <p>There is no keyboard: the status register says the output buffer is empty (no data for the
 * guest) and the input buffer is empty (a command may be written), with the system flag set as after
 * a passed self-test; the data port reads 0. The "pulse output port" commands 0xf0-0xff pulse the
 * output lines whose bit in the command is 0; bit 0 is the CPU reset line, so 0xfe (what Linux and
 * most guests write) and the other even ones ask {@link VmControl#requestReset()}. Every other
 * command and every data write is ignored.
 */
public final class I8042 implements BusDevice {

    /** Ports it takes, from the data port (0x60 on a PC) to the command port (0x64). */
    public static final int PORTS = 5;
    /** Offset of the data port (0x60). */
    public static final int DATA = 0;
    /** Offset of the status (read) and command (write) port (0x64). */
    public static final int STATUS_COMMAND = 4;

    /** Status bit: the system flag, set once the controller passed its self-test. */
    public static final int STATUS_SYSTEM_FLAG = 0x04;
    /** The command that pulses only the reset line. */
    public static final int CMD_RESET = 0xfe;

    private final VmControl control;

    /**
     * Creates the controller.
     *
     * @param control what to ask to reboot
     */
    public I8042(VmControl control) {
        this.control = Objects.requireNonNull(control, "control");
    }

    /**
     * Reads {@code size} 8-bit ports from {@code offset} on, as a PC splits a wider access into byte
     * accesses (lowest port in the lowest byte): the data port 0, the status port
     * {@link #STATUS_SYSTEM_FLAG}, every other port (inside the range or past its end) all ones.
     */
    @Override
    public long read(long offset, int size) {
        int bytes = Math.clamp(size, 1, 8);
        long value = 0;
        for (int b = 0; b < bytes; b++) {
            long port = offset + b;
            long v = port == DATA ? 0 : port == STATUS_COMMAND ? STATUS_SYSTEM_FLAG : 0xff;
            value |= v << (8 * b);
        }
        return value;
    }

    /**
     * Writes {@code size} 8-bit ports from {@code offset} on, byte by byte: the byte that lands on the
     * command port (an access from 0x61 of 4 bytes, say, carries it in its top byte) is the command.
     */
    @Override
    public void write(long offset, int size, long value) {
        long lane = STATUS_COMMAND - offset;
        if (lane < 0 || lane >= Math.clamp(size, 1, 8)) {
            return;
        }
        int command = (int) (value >>> (8 * lane)) & 0xff;
        if ((command & 0xf1) == 0xf0) {
            control.requestReset();
        } else if (Log.LOG.isLoggable(Level.DEBUG)) {
            Log.LOG.log(Level.DEBUG, "i8042: ignoring command 0x" + Integer.toHexString(command));
        }
    }

    @Override
    public String toString() {
        return "i8042@0x60";
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(I8042.class.getName());
    }
}
