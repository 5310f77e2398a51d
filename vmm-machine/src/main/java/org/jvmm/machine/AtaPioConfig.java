package org.jvmm.machine;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The ATA-PIO-like block device at {@link MemoryMap#ATA_PIO} (polled, no interrupt), backed by an
 * image file. At most one per machine.
 *
 * @param image    the image, a multiple of 512 bytes
 * @param readOnly open it read-only
 */
public record AtaPioConfig(Path image, boolean readOnly) implements DeviceConfig {

    /**
     * Checks for null.
     *
     * @param image    the image
     * @param readOnly read-only or not
     */
    public AtaPioConfig {
        Objects.requireNonNull(image, "image");
    }

    @Override
    public String kind() {
        return "ata-pio";
    }
}
