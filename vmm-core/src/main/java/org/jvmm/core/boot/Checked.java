package org.jvmm.core.boot;

/**
 * Overflow-checked arithmetic whose failures are {@link BootError#OVERFLOW} naming the computation.
 * Sizes and addresses in kernel images are unsigned 64-bit fields; as Java longs, those of 2^63 and
 * more are negative and never a usable size or address, so a negative operand is an overflow too
 * (otherwise -8 + 16 would pass as 8).
 */
final class Checked {

    private Checked() {}

    static long add(long a, long b, String what) {
        try {
            if (a < 0 || b < 0) {
                throw new ArithmeticException("an operand of 2^63 or more");
            }
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw new BootException(what + " (0x" + Long.toHexString(a) + " + 0x" + Long.toHexString(b) + ")", e);
        }
    }

    static long alignUp(long value, long alignment, String what) {
        return add(value, alignment - 1, what) & -alignment;
    }

    static long alignDown(long value, long alignment) {
        return value & -alignment;
    }
}
