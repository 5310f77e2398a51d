package org.jvmm.machine;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A virtio block device (device id 2) backed by an image file. The machine opens the file when it is
 * built and closes it, flushed, when the machine closes.
 *
 * @param image    the image, a multiple of 512 bytes
 * @param readOnly open it read-only (the device offers VIRTIO_BLK_F_RO)
 * @param paths    notify and interrupt paths
 */
public record VirtioBlockConfig(Path image, boolean readOnly, VirtioPaths paths) implements VirtioDeviceConfig {

    /**
     * Checks for nulls.
     *
     * @param image    the image
     * @param readOnly read-only or not
     * @param paths    the paths
     */
    public VirtioBlockConfig {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(paths, "paths");
    }

    @Override
    public String kind() {
        return "virtio-blk";
    }
}
