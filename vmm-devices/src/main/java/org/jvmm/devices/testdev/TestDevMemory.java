package org.jvmm.devices.testdev;

import org.jvmm.core.bus.BusDevice;

/**
 * The MMIO part of QEMU's {@code pc-testdev}: 64 KiB of plain memory at guest-physical 0xff000000 that
 * every access reaches through an exit, so the guest can test how KVM emulates instructions on MMIO
 * (kvm-unit-tests' emulator test runs string and cross-page instructions on it). Accesses are
 * little-endian, of any width at any offset; bytes past the end are dropped on write and read as 0.
 */
public final class TestDevMemory implements BusDevice {

    /** Its size (the machine places it, at 0xff000000 as QEMU does). */
    public static final int SIZE = 0x1_0000;

    private final byte[] bytes = new byte[SIZE];

    @Override
    public long read(long offset, int size) {
        long value = 0;
        for (int i = Math.clamp(size, 1, 8) - 1; i >= 0; i--) {
            long at = offset + i;
            value = (value << 8) | (at >= 0 && at < SIZE ? bytes[(int) at] & 0xff : 0);
        }
        return value;
    }

    @Override
    public void write(long offset, int size, long value) {
        for (int i = 0; i < Math.clamp(size, 1, 8); i++) {
            long at = offset + i;
            if (at >= 0 && at < SIZE) {
                bytes[(int) at] = (byte) (value >>> (8 * i));
            }
        }
    }

    @Override
    public String toString() {
        return "pc-testdev memory (" + SIZE + " bytes)";
    }
}
