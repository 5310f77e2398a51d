package org.jvmm.core.host;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * A terminal switched to raw mode until {@link #close()}, as a serial console needs: every key
 * (Ctrl-C and Ctrl-Z included) goes to the guest at once, unechoed. Output processing stays on, as
 * QEMU keeps it, so the VMM's own "\n"-terminated messages still start on a fresh line.
 *
 * <p>Closing restores the attributes saved on entry; it is idempotent and may run from a shutdown
 * hook while another thread closes too, so a signal path and the normal path can both call it.
 * {@code stty} in a child process would work as well, but needs a process spawn on every path,
 * including while the JVM shuts down; a downcall needs nothing.
 */
public final class RawTerminal implements AutoCloseable {

    private final int fd;
    private final Arena arena;
    private final MemorySegment saved;
    private boolean restored;

    private RawTerminal(int fd, Arena arena, MemorySegment saved) {
        this.fd = fd;
        this.arena = arena;
        this.saved = saved;
    }

    /**
     * Whether an fd is a terminal.
     *
     * @param fd the fd (0 for stdin)
     * @return true for a terminal, false for a file, pipe, socket, /dev/null or a closed fd
     */
    public static boolean isTerminal(int fd) {
        return Libc.isatty(fd) == 1;
    }

    /**
     * Saves the terminal's attributes and switches it to raw mode (cfmakeraw, output processing kept).
     *
     * @param fd a terminal
     * @return the handle that restores it
     * @throws IOException when fd is not a terminal or its attributes cannot be changed
     */
    public static RawTerminal enter(int fd) throws IOException {
        CallState state = CallState.current();
        Arena arena = Arena.ofShared(); // close() may run on a shutdown hook's thread
        MemorySegment saved = arena.allocate(Libc.TERMIOS_SIZE);
        if (Libc.tcgetattr(state, fd, saved) == -1) {
            arena.close();
            throw new IOException("tcgetattr(" + fd + "): " + Libc.strerror(state.errno()));
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment raw = call.allocate(Libc.TERMIOS_SIZE);
            raw.copyFrom(saved);
            Libc.cfmakeraw(raw);
            raw.set(ValueLayout.JAVA_INT, Libc.TERMIOS_OFLAG, raw.get(ValueLayout.JAVA_INT, Libc.TERMIOS_OFLAG) | Libc.OPOST);
            if (Libc.tcsetattr(state, fd, Libc.TCSANOW, raw) == -1) {
                arena.close();
                throw new IOException("tcsetattr(" + fd + "): " + Libc.strerror(state.errno()));
            }
        }
        return new RawTerminal(fd, arena, saved);
    }

    /** Puts back the attributes saved on entry; later calls do nothing. Failures are ignored: the terminal may be gone. */
    @Override
    public synchronized void close() {
        if (!restored) {
            restored = true;
            Libc.tcsetattr(CallState.current(), fd, Libc.TCSANOW, saved);
            arena.close();
        }
    }
}
