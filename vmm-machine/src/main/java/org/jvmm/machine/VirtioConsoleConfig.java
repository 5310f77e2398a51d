package org.jvmm.machine;

import java.io.OutputStream;
import java.util.Objects;

/**
 * A virtio console (device id 3): what the guest writes to {@code hvc0} goes to {@code output}.
 *
 * @param output where the console's output goes; the machine flushes it but does not close it
 * @param paths  notify and interrupt paths
 */
public record VirtioConsoleConfig(OutputStream output, VirtioPaths paths) implements VirtioDeviceConfig {

    /**
     * Checks for nulls.
     *
     * @param output the output
     * @param paths  the paths
     */
    public VirtioConsoleConfig {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(paths, "paths");
    }

    /**
     * A console on the default paths.
     *
     * @param output where its output goes
     */
    public VirtioConsoleConfig(OutputStream output) {
        this(output, VirtioPaths.DEFAULT);
    }

    @Override
    public String kind() {
        return "virtio-console";
    }
}
