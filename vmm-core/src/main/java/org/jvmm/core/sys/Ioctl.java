package org.jvmm.core.sys;

/**
 * Linux ioctl request numbers from the {@code _IO/_IOR/_IOW/_IOWR} rules of
 * {@code asm-generic/ioctl.h}: direction in bits 30-31, size in bits 16-29, type in 8-15, number
 * in 0-7.
 */
public final class Ioctl {
    private static final int NONE = 0;
    private static final int WRITE = 1;
    private static final int READ = 2;

    private Ioctl() {}

    private static long encode(int direction, int type, int number, long size) {
        if (size < 0 || size >= (1 << 14)) {
            throw new IllegalArgumentException("ioctl argument size out of range: " + size);
        }
        return ((long) direction << 30) | (size << 16) | ((long) type << 8) | number;
    }

    /**
     * {@code _IO(type, nr)}.
     *
     * @param type   the subsystem's magic byte
     * @param number the request number
     * @return the request
     */
    public static long io(int type, int number) {
        return encode(NONE, type, number, 0);
    }

    /**
     * {@code _IOR(type, nr, size)}: the kernel writes the argument.
     *
     * @param type   the subsystem's magic byte
     * @param number the request number
     * @param size   size of the argument struct
     * @return the request
     */
    public static long ior(int type, int number, long size) {
        return encode(READ, type, number, size);
    }

    /**
     * {@code _IOW(type, nr, size)}: the kernel reads the argument.
     *
     * @param type   the subsystem's magic byte
     * @param number the request number
     * @param size   size of the argument struct
     * @return the request
     */
    public static long iow(int type, int number, long size) {
        return encode(WRITE, type, number, size);
    }

    /**
     * {@code _IOWR(type, nr, size)}: both directions.
     *
     * @param type   the subsystem's magic byte
     * @param number the request number
     * @param size   size of the argument struct
     * @return the request
     */
    public static long iowr(int type, int number, long size) {
        return encode(READ | WRITE, type, number, size);
    }
}
