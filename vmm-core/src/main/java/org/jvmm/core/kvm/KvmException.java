package org.jvmm.core.kvm;

import org.jvmm.core.sys.Errno;
import org.jvmm.core.sys.Libc;

/**
 * A failed system call: the operation (an ioctl name, {@code open /dev/kvm}, ...) and errno with its
 * symbolic name and text, e.g. {@code "KVM_CREATE_VM failed: ENOMEM (Cannot allocate memory)"}.
 */
public class KvmException extends RuntimeException {
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
    public KvmException(String operation, int errno) {
        super(operation + " failed: " + Errno.name(errno) + " (" + Libc.strerror(errno) + ")");
        this.operation = operation;
        this.errno = errno;
    }

    /**
     * A failure found by jvmm itself, not by a system call (an unsupported API version).
     *
     * @param operation the operation
     * @param message   what is wrong
     */
    public KvmException(String operation, String message) {
        super(operation + ": " + message);
        this.operation = operation;
        this.errno = 0;
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
