package org.jvmm.core.boot;

/**
 * A Linux boot could not be prepared: a bad or truncated image, an invalid command line, an initrd
 * or a table that does not fit. {@link #error()} says which, the message says where.
 */
public final class BootException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The named error; enums are serializable. */
    private final BootError error;

    /**
     * Creates the exception.
     *
     * @param error  what went wrong
     * @param detail where, with the numbers involved
     */
    public BootException(BootError error, String detail) {
        super(error.description() + ": " + detail);
        this.error = error;
    }

    /**
     * Creates the exception for a failed arithmetic check.
     *
     * @param detail what was computed
     * @param cause  the {@link ArithmeticException}
     */
    public BootException(String detail, ArithmeticException cause) {
        super(BootError.OVERFLOW.description() + ": " + detail, cause);
        this.error = BootError.OVERFLOW;
    }

    /** {@return which error this is} */
    public BootError error() {
        return error;
    }
}
