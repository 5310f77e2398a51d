package org.jvmm.cli.compare;

import java.util.List;
import org.jvmm.cli.compare.ComparePath.Device;
import org.jvmm.machine.Interrupt;
import org.jvmm.machine.Notify;
import org.jvmm.machine.VirtioPaths;

/**
 * The built-in workloads: the same console output over the 8250 and virtio-console, the same disk
 * read over ATA-PIO and virtio-blk, each virtio path polling the used ring (no interrupts), so the
 * exits counted are those of the transfer itself.
 */
final class Workloads {
    private static final VirtioPaths POLLED = new VirtioPaths(Notify.EXIT, Interrupt.NONE, true);
    private static final VirtioPaths POLLED_IOEVENTFD = POLLED.withNotify(Notify.IOEVENTFD);
    private static final long GUEST_EVENT_IDX = 1;

    private Workloads() {}

    static List<ComparePath> console() {
        return List.of(
                new ComparePath("console", "8250 polled", "uart-poll", Device.UART, POLLED, 0, true),
                new ComparePath("console", "8250 irq + FIFO", "uart-irq", Device.UART, POLLED, 0, false),
                new ComparePath("console", "virtio-console notify=exit", "virtio-console", Device.VIRTIO_CONSOLE,
                        POLLED, 0, false),
                new ComparePath("console", "virtio-console notify=ioeventfd", "virtio-console", Device.VIRTIO_CONSOLE,
                        POLLED_IOEVENTFD, 0, false),
                new ComparePath("console", "virtio-console EVENT_IDX", "virtio-console", Device.VIRTIO_CONSOLE,
                        POLLED, GUEST_EVENT_IDX, false));
    }

    static List<ComparePath> blk() {
        return List.of(
                new ComparePath("blk", "ata-pio (rep insw)", "ata-read", Device.ATA_PIO, POLLED, 0, true),
                new ComparePath("blk", "virtio-blk notify=exit", "virtio-blk-read", Device.VIRTIO_BLK, POLLED, 0, false),
                new ComparePath("blk", "virtio-blk notify=ioeventfd", "virtio-blk-read", Device.VIRTIO_BLK,
                        POLLED_IOEVENTFD, 0, false),
                new ComparePath("blk", "virtio-blk EVENT_IDX", "virtio-blk-read", Device.VIRTIO_BLK, POLLED,
                        GUEST_EVENT_IDX, false));
    }
}
