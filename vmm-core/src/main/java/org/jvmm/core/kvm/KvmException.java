package org.jvmm.core.kvm;

/**
 * A failed KVM call: the ioctl (or {@code open /dev/kvm}) and errno with its symbolic name and text,
 * e.g. {@code "KVM_CREATE_VM failed: ENOMEM (Cannot allocate memory)"}.
 */
public class KvmException extends SystemCallException {
    private static final long serialVersionUID = 1L;

    /**
     * A failed KVM call.
     *
     * @param operation the failed operation
     * @param errno     errno after the call
     */
    public KvmException(String operation, int errno) {
        super(operation, errno);
    }

    /**
     * A failure found by jvmm itself, not by a system call (an unsupported API version).
     *
     * @param operation the operation
     * @param message   what is wrong
     */
    public KvmException(String operation, String message) {
        super(operation, message);
    }
}
