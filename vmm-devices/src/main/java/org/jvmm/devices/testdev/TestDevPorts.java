package org.jvmm.devices.testdev;

import java.util.Objects;
import java.util.function.LongConsumer;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;

/**
 * The port part of QEMU's {@code pc-testdev} at 0xe0-0xeb, as kvm-unit-tests uses it:
 * <ul>
 *   <li>0xe0-0xe3: a 32-bit scratch register. An access of {@code n} bytes at port 0xe0 + {@code k}
 *       writes or reads bytes {@code k} to {@code k + n - 1} of it (bytes past the fourth are dropped on
 *       write and read as 0), so {@code rep outsb} leaves the last byte in byte 0 and {@code rep insb}
 *       reads it back.</li>
 *   <li>0xe4-0xe7: "flush page": a 4-byte write of a guest-physical address asks the host to drop
 *       its mapping of that page (QEMU makes it inaccessible and accessible again, so that KVM's next
 *       access faults; kvm-unit-tests' eventinj uses it to make an exception's stack page fault). Other
 *       widths are dropped; reads are all ones.</li>
 *   <li>0xe8-0xeb: the same scratch register again (QEMU serves it one byte at a time, which gives
 *       the same bytes).</li>
 * </ul>
 * The register is one int written whole; two vCPUs racing on it see one or the other's write.
 */
public final class TestDevPorts implements BusDevice {

    /** Ports to register (the machine places them, at 0xe0-0xeb as QEMU does). */
    public static final int PORTS = 12;
    /** Offset of the flush-page register (port 0xe4). */
    public static final int FLUSH = 4;
    /** Offset of the byte-wise view of the scratch register (port 0xe8). */
    public static final int BYTE_WINDOW = 8;

    private final LongConsumer flushPage;
    private volatile int data;

    /**
     * Creates the ports.
     *
     * @param flushPage called with the page-aligned guest-physical address a guest writes to 0xe4; the
     *                  value is the guest's, so the callee checks it lies in RAM before acting on it
     */
    public TestDevPorts(LongConsumer flushPage) {
        this.flushPage = Objects.requireNonNull(flushPage, "flushPage");
    }

    @Override
    public long read(long offset, int size) {
        int width = Math.clamp(size, 1, 8);
        int lane = lane(offset);
        if (lane < 0) {
            return Bus.allOnes(width);
        }
        return (Integer.toUnsignedLong(data) >>> (8 * lane)) & Bus.allOnes(width);
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset == FLUSH) {
            if (size == 4) {
                flushPage.accept(value & 0xffff_f000L);
            }
            return;
        }
        int lane = lane(offset);
        if (lane < 0) {
            return;
        }
        long mask = (Bus.allOnes(Math.clamp(size, 1, 8)) << (8 * lane)) & 0xffff_ffffL;
        data = (int) ((data & ~mask) | ((value << (8 * lane)) & mask));
    }

    /** The byte of the scratch register an offset starts at, or -1 for the flush register or outside. */
    private static int lane(long offset) {
        if (offset >= 0 && offset < FLUSH) {
            return (int) offset;
        }
        if (offset >= BYTE_WINDOW && offset < BYTE_WINDOW + 4) {
            return (int) offset - BYTE_WINDOW;
        }
        return -1;
    }

    @Override
    public String toString() {
        return "pc-testdev ports";
    }
}
