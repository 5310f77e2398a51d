package org.jvmm.core.kvm;

import java.util.concurrent.atomic.AtomicInteger;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * A file descriptor with one owner: closed exactly once, however often close is called, and never
 * handed out again after that (a closed fd number may already belong to someone else).
 */
final class OwnedFd implements AutoCloseable {
    private final AtomicInteger fd;

    OwnedFd(int fd) {
        this.fd = new AtomicInteger(fd);
    }

    int get() {
        int value = fd.get();
        if (value < 0) {
            throw new IllegalStateException("file descriptor already closed");
        }
        return value;
    }

    boolean isOpen() {
        return fd.get() >= 0;
    }

    @Override
    public void close() {
        int value = fd.getAndSet(-1);
        if (value >= 0) {
            Libc.close(CallState.current(), value);
        }
    }
}
