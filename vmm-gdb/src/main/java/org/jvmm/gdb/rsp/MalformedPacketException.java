package org.jvmm.gdb.rsp;

/** A packet that does not parse; the reply is an error. Never leaves the {@link Dispatcher}. */
final class MalformedPacketException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedPacketException(String message) {
        super(message, null, false, false);
    }
}
