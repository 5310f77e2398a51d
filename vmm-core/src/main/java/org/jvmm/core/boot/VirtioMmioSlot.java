package org.jvmm.core.boot;

/**
 * One virtio-mmio device window as the guest learns of it: from an {@code LNRO0005} device in the
 * DSDT, or from a {@code virtio_mmio.device=} parameter on kernels built with
 * CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES (Debian's are not).
 *
 * @param base the window's guest-physical address
 * @param size the window's size
 * @param gsi  its interrupt
 */
public record VirtioMmioSlot(long base, long size, int gsi) {

    /**
     * Validates the slot.
     *
     * @param base window address, 4 KiB aligned, below 4 GiB
     * @param size window size, positive, 4 KiB multiple
     * @param gsi  interrupt, 0 to 23 (the IOAPIC's pins)
     */
    public VirtioMmioSlot {
        if ((base & 0xfff) != 0 || size <= 0 || (size & 0xfff) != 0 || base + size > (1L << 32) || gsi < 0 || gsi > 23) {
            throw new IllegalArgumentException(String.format("virtio-mmio slot at 0x%x size 0x%x gsi %d", base, size, gsi));
        }
    }

    /** {@return the command-line parameter, e.g. {@code virtio_mmio.device=4K@0xd0000000:5}} */
    public String commandLineEntry() {
        String text = size % (1L << 20) == 0 ? (size >> 20) + "M" : size % 1024 == 0 ? (size >> 10) + "K" : Long.toString(size);
        return "virtio_mmio.device=" + text + "@0x" + Long.toHexString(base) + ":" + gsi;
    }
}
