package org.jvmm.core.boot;

/** Overflow-checked arithmetic whose failures are {@link BootError#OVERFLOW} naming the computation. */
final class Checked {

    private Checked() {}

    static long add(long a, long b, String what) {
        try {
            long sum = Math.addExact(a, b);
            if (sum < 0) {
                throw new ArithmeticException("negative");
            }
            return sum;
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
