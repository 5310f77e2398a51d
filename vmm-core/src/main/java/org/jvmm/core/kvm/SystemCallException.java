package org.jvmm.core.kvm;

import org.jvmm.core.sys.Errno;
import org.jvmm.core.sys.Libc;

/**
 * A failed host system call that is not a KVM ioctl: {@code mmap} of guest RAM, an eventfd, a read of
 * a stats fd. Names the call and errno with its symbolic name and text, e.g.
 * {@code "mmap guest RAM failed: ENOMEM (Cannot allocate memory)"}. KVM's own calls throw the
 * subclass {@link KvmException}.
 */
public class SystemCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The failed operation. */
    private final String operation;
    /** errno, or 0 when the failure is not a system call's. */
    private final int errno;

    /**
     * A failed system call.
     *
     * @param operation the failed operation
     * @param errno     errno after the call
     */
    public SystemCallException(String operation, int errno) {
        super(operation + " failed: " + describe(errno));
        this.operation = operation;
        this.errno = errno;
    }

    /**
     * A failure found by jvmm itself around a system call (a short read, an unsupported version).
     *
     * @param operation the operation
     * @param message   what is wrong
     */
    public SystemCallException(String operation, String message) {
        super(operation + ": " + message);
        this.operation = operation;
        this.errno = 0;
    }

    /**
     * {@return errno's symbolic name and text, e.g. "EFAULT (Bad address)"}
     *
     * @param errno an errno value
     */
    public static String describe(int errno) {
        return Errno.name(errno) + " (" + Libc.strerror(errno) + ")";
    }

    /** {@return the failed operation} */
    public String operation() {
        return operation;
    }

    /** {@return errno, or 0 when no system call failed} */
    public int errno() {
        return errno;
    }
}
