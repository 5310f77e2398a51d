package org.jvmm.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's RAM, from {@code /proc/meminfo}: guest memory beyond it cannot be backed. */
final class HostMemory {
    private HostMemory() {}

    /** {@return MemTotal in bytes, or -1 where it cannot be read} */
    static long total() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
