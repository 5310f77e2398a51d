package org.jvmm.gdb;

/**
 * A kind of VM exit that stops every vCPU while gdb is attached ({@code monitor catch ...}).
 * Its {@code toString()} is its {@code monitor catch} form.
 */
public sealed interface Catchpoint {

    /** Which port accesses an {@link Io} catchpoint matches. */
    enum Direction {
        /** {@code in}: the guest reads the port. */ IN,
        /** {@code out}: the guest writes the port. */ OUT,
        /** Both. */ ANY
    }

    /** Which MMIO accesses an {@link Mmio} catchpoint matches. */
    enum Access {
        /** The guest reads. */ READ,
        /** The guest writes. */ WRITE,
        /** Both. */ ANY
    }

    /**
     * A port I/O exit ({@code KVM_EXIT_IO}) on a port in {@code first..last}.
     *
     * @param first     the first port, 0 to 0xffff
     * @param last      the last port, inclusive, at least {@code first}
     * @param direction in, out or both
     */
    record Io(int first, int last, Direction direction) implements Catchpoint {
        /**
         * Validates the range.
         *
         * @param first     the first port
         * @param last      the last port
         * @param direction the direction
         */
        public Io {
            if (first < 0 || last > 0xffff || first > last) {
                throw new IllegalArgumentException("port range 0x" + Integer.toHexString(first) + "-0x"
                        + Integer.toHexString(last) + " is not within 0 to 0xffff, first to last");
            }
        }

        /**
         * Whether an exit matches.
         *
         * @param port the port accessed
         * @param out  true for {@code out}
         * @return true if it does
         */
        public boolean matches(int port, boolean out) {
            return port >= first && port <= last
                    && (direction == Direction.ANY || (direction == Direction.OUT) == out);
        }

        @Override
        public String toString() {
            return "io " + range(first, last) + (direction == Direction.ANY ? "" : " " + direction.name().toLowerCase());
        }
    }

    /**
     * An MMIO exit ({@code KVM_EXIT_MMIO}) touching a guest-physical address in {@code first..last}.
     *
     * @param first  the first address
     * @param last   the last address, inclusive, not below {@code first} (unsigned)
     * @param access read, write or both
     */
    record Mmio(long first, long last, Access access) implements Catchpoint {
        /**
         * Validates the range.
         *
         * @param first  the first address
         * @param last   the last address
         * @param access the access
         */
        public Mmio {
            if (Long.compareUnsigned(first, last) > 0) {
                throw new IllegalArgumentException("address range " + range(first, last) + " ends before it starts");
            }
        }

        /**
         * Whether an exit matches: any byte of the access inside the range.
         *
         * @param address the guest-physical address of the access
         * @param length  its size in bytes, 1 to 8
         * @param write   true for a write
         * @return true if it does
         */
        public boolean matches(long address, int length, boolean write) {
            long end = address + Math.max(length, 1) - 1;
            boolean overlaps = Long.compareUnsigned(end, address) < 0
                    ? Long.compareUnsigned(address, last) <= 0      // wraps past 2^64: ends at the top
                    : Long.compareUnsigned(address, last) <= 0 && Long.compareUnsigned(end, first) >= 0;
            return overlaps && (access == Access.ANY || (access == Access.WRITE) == write);
        }

        @Override
        public String toString() {
            return "mmio " + range(first, last) + (access == Access.ANY ? "" : " " + access.name().toLowerCase());
        }
    }

    /** A {@code KVM_EXIT_HLT} (only without the in-kernel irqchip, which keeps {@code hlt} in KVM). */
    record Hlt() implements Catchpoint {
        @Override
        public String toString() {
            return "hlt";
        }
    }

    private static String range(long first, long last) {
        return first == last ? "0x" + Long.toHexString(first)
                : "0x" + Long.toHexString(first) + "-0x" + Long.toHexString(last);
    }
}
