package org.jvmm.gdb.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.jvmm.core.kvm.Kvm;
import org.junit.jupiter.api.Assumptions;

/** The CLI's KVM tests need a usable /dev/kvm: skipped with the reason without one, failed when CI=true. */
public final class KvmRequirement {
    private KvmRequirement() {}

    /** Aborts (or under CI=true fails) without a usable /dev/kvm. */
    public static void check() {
        try (Kvm kvm = Kvm.open()) {
            assertTrue(kvm.fd() >= 0);
        } catch (RuntimeException e) {
            String reason = "no usable /dev/kvm (" + e.getMessage() + "); run with scripts/env/nested-kvm.sh";
            if ("true".equals(System.getenv("CI"))) {
                fail(reason);
            }
            Assumptions.abort(reason);
        }
    }
}
