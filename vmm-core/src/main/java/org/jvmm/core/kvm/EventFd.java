package org.jvmm.core.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Errno;
import org.jvmm.core.sys.Libc;

/**
 * An eventfd: a counter in the kernel that KVM can signal (ioeventfd: a guest write to an address)
 * or wait on (irqfd: a write injects an interrupt). One thread waits in {@link #await}; any thread
 * may {@link #signal}.
 */
public final class EventFd implements AutoCloseable {
    private final OwnedFd fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment readBuffer = arena.allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment writeBuffer = arena.allocate(ValueLayout.JAVA_LONG);

    /** Creates a blocking eventfd with counter 0. */
    public EventFd() {
        CallState state = CallState.current();
        this.fd = new OwnedFd((int) state.checkSystem(Libc.eventfd(state, 0, Libc.EFD_CLOEXEC), "eventfd"));
    }

    /** {@return the raw fd, to register with KVM} */
    public int fd() {
        return fd.get();
    }

    /**
     * Adds 1 to the counter, waking a waiter (and, for an irqfd, injecting the interrupt).
     * Allocates nothing; safe from any thread.
     */
    public void signal() {
        CallState state = CallState.current();
        synchronized (writeBuffer) {
            writeBuffer.set(ValueLayout.JAVA_LONG, 0, 1L);
            state.checkSystem(Libc.write(state, fd.get(), writeBuffer, 8), "eventfd write");
        }
    }

    /**
     * Blocks until the counter is non-zero, then takes and returns it. Only one thread may wait.
     *
     * @return how many signals arrived since the last call, or 0 if interrupted (EINTR)
     */
    public long await() {
        CallState state = CallState.current();
        long n = Libc.read(state, fd.get(), readBuffer, 8);
        if (n == -1) {
            if (state.errno() == Errno.EINTR) {
                return 0;
            }
            state.checkSystem(n, "eventfd read");
        }
        return readBuffer.get(ValueLayout.JAVA_LONG, 0);
    }

    /** Closes the fd. Calling it again does nothing. */
    @Override
    public void close() {
        fd.close();
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
