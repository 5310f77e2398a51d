package org.jvmm.core.memory;

/**
 * An access to guest-physical memory that no region covers in full. The guest caused it (a bad
 * descriptor address, a length past the end of RAM), so devices catch it and answer the way the
 * device specification prescribes; it never means host memory was touched.
 */
public final class GuestMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The guest-physical address of the access. */
    private final long address;
    /** The length of the access in bytes. */
    private final long length;

    /**
     * Creates the exception for an access of {@code length} bytes at {@code address}.
     *
     * @param address guest-physical address of the access
     * @param length length of the access in bytes
     */
    public GuestMemoryException(long address, long length) {
        super("guest memory access outside RAM: 0x" + Long.toHexString(address) + " +" + Long.toUnsignedString(length));
        this.address = address;
        this.length = length;
    }

    /** {@return the guest-physical address of the rejected access} */
    public long address() {
        return address;
    }

    /** {@return the length of the rejected access in bytes} */
    public long length() {
        return length;
    }
}
