package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's kernel and jvmm's initramfs as scripts/env/fetch-guest.sh leaves them ({@code
 * $JVMM_GUEST_CACHE}, default {@code ~/.cache/jvmm/guest}; ./test.sh fetches them). A test that boots
 * them fails without them under {@code CI=true} and is skipped with the reason elsewhere.
 */
final class DebianGuest {

    private DebianGuest() {}

    /** {@return the cache directory} */
    static Path cache() {
        String dir = System.getenv("JVMM_GUEST_CACHE");
        return dir != null && !dir.isEmpty() ? Path.of(dir)
                : Path.of(System.getProperty("user.home"), ".cache", "jvmm", "guest");
    }

    /** {@return the uncompressed ELF kernel} */
    static Path kernel() {
        return cache().resolve("vmlinux");
    }

    /** {@return the initramfs with jvmm's init} */
    static Path initrd() {
        return cache().resolve("initramfs.cpio.gz");
    }

    /** Fails (CI) or aborts (elsewhere) the calling test when the kernel or initramfs is missing. */
    static void require() {
        if (!Files.isRegularFile(kernel()) || !Files.isRegularFile(initrd())) {
            String reason = "no Debian guest in " + cache() + ": run scripts/env/fetch-guest.sh (./test.sh does)";
            if ("true".equals(System.getenv("CI"))) {
                fail(reason);
            }
            Assumptions.abort(reason);
        }
    }
}
