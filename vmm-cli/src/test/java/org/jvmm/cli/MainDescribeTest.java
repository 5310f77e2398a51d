package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;


import org.jvmm.core.kvm.KvmException;
import org.junit.jupiter.api.Test;

/** The one line a user sees for a KVM that cannot be used, by cause (BadInputTest runs the CLI). */
class MainDescribeTest {

    @Test
    void aNodeThatFailsTheVersionIoctlIsNotKvm() {
        KvmException notKvm = new KvmException("KVM_GET_API_VERSION", 25); // ENOTTY
        assertEquals(KvmNode.path() + " is not a KVM device (" + notKvm.getMessage() + ")", Main.describe(notKvm));
    }

    @Test
    void aKvmOfAnotherApiVersionIsNamedAsSuch() {
        KvmException old = new KvmException("KVM_GET_API_VERSION", "the kernel offers KVM API 11, jvmm needs 12");
        assertEquals(KvmNode.path() + ": unsupported KVM (KVM_GET_API_VERSION: the kernel offers KVM API 11, jvmm needs 12)",
                Main.describe(old));
    }
}
