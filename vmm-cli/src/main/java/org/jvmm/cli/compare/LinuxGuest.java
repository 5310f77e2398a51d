package org.jvmm.cli.compare;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernel and base initramfs of {@code jvmm compare --workload linux}: Debian's kernel and the
 * busybox initramfs (with the virtio modules) that {@code scripts/env/fetch-guest.sh} puts in its
 * cache, fetched on first use; or the caller's files.
 *
 * @param kernel the kernel (the cache's uncompressed vmlinux by default)
 * @param initrd the base initramfs, which jvmm's init is appended to; it must hold {@code /bin/busybox}
 */
public record LinuxGuest(Path kernel, Path initrd) {

    /**
     * Finds the files: the caller's where given, the cache's for the rest, running
     * {@code scripts/env/fetch-guest.sh} first when the cache lacks them.
     *
     * @param kernel   the caller's kernel, or null
     * @param initrd   the caller's initramfs, or null
     * @param progress where to say that a download starts
     * @return the files
     * @throws IOException              when the fetch cannot be run
     * @throws IllegalArgumentException when a file is missing and cannot be fetched (one line for the user)
     */
    public static LinuxGuest locate(Path kernel, Path initrd, PrintStream progress) throws IOException {
        if (kernel != null && initrd != null) {
            return new LinuxGuest(readable(kernel, "--kernel"), readable(initrd, "--initrd"));
        }
        Path cache = cacheDir();
        if (!Files.isRegularFile(cache.resolve("vmlinux")) || !Files.isRegularFile(cache.resolve("initramfs.cpio.gz"))) {
            fetch(cache, progress);
        }
        return new LinuxGuest(kernel != null ? readable(kernel, "--kernel") : cache.resolve("vmlinux"),
                initrd != null ? readable(initrd, "--initrd") : cache.resolve("initramfs.cpio.gz"));
    }

    /** {@return fetch-guest.sh's cache: $JVMM_GUEST_CACHE, or ~/.cache/jvmm/guest} */
    static Path cacheDir() {
        String dir = System.getenv("JVMM_GUEST_CACHE");
        return dir != null && !dir.isEmpty() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "jvmm", "guest");
    }

    private static void fetch(Path cache, PrintStream progress) throws IOException {
        String home = System.getProperty("jvmm.home");
        Path script = home == null ? null : Path.of(home, "scripts", "env", "fetch-guest.sh");
        if (script == null || !Files.isExecutable(script)) {
            throw new IllegalArgumentException("no Debian guest in " + cache + ": run scripts/env/fetch-guest.sh,"
                    + " or give --kernel FILE and --initrd FILE");
        }
        progress.println("jvmm compare: fetching Debian's kernel and busybox into " + cache
                + " (scripts/env/fetch-guest.sh, first use only)...");
        Process fetch = new ProcessBuilder(script.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            int status = fetch.waitFor();
            if (status != 0) {
                throw new IllegalArgumentException("scripts/env/fetch-guest.sh failed (status " + status
                        + "); give --kernel FILE and --initrd FILE instead");
            }
        } catch (InterruptedException e) {
            fetch.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching the Debian guest", e);
        }
    }

    private static Path readable(Path file, String option) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(option + " " + file + ": no such readable file");
        }
        return file;
    }
}
