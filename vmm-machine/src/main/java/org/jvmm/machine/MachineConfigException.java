package org.jvmm.machine;

/**
 * A machine that cannot be built as described: a wrong combination or value, named in the machine's
 * own terms ("virtio-blk in slot 1: interrupt LINE needs the in-kernel irqchip"). A front end shows
 * the message as it is; it is the caller's to fix, not a failure of the host.
 */
public class MachineConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * A configuration error.
     *
     * @param message one line saying what is wrong
     */
    public MachineConfigException(String message) {
        super(message);
    }

    /**
     * A configuration error found by a lower layer (a kernel file that is not a kernel).
     *
     * @param message one line saying what is wrong
     * @param cause   the lower layer's exception
     */
    public MachineConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
