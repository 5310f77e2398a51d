package org.jvmm.machine;

import java.util.Objects;

/**
 * A virtio entropy device (device id 4), fed from the host's {@code SecureRandom}.
 *
 * @param paths notify and interrupt paths
 */
public record VirtioRngConfig(VirtioPaths paths) implements VirtioDeviceConfig {

    /**
     * Checks for null.
     *
     * @param paths the paths
     */
    public VirtioRngConfig {
        Objects.requireNonNull(paths, "paths");
    }

    @Override
    public String kind() {
        return "virtio-rng";
    }
}
