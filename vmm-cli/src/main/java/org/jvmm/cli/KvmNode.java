package org.jvmm.cli;

import java.nio.file.Path;
import org.jvmm.core.kvm.Kvm;

/** The KVM device node the command opens: {@code /dev/kvm}, or another for tests. */
final class KvmNode {
    /** System property naming the KVM device node to open instead of {@code /dev/kvm} (for tests). */
    static final String PROPERTY = "jvmm.kvm.device";

    private KvmNode() {}

    /** {@return the node: {@value #PROPERTY} if set, else /dev/kvm} */
    static Path path() {
        String node = System.getProperty(PROPERTY);
        return node == null || node.isEmpty() ? Kvm.DEFAULT_PATH : Path.of(node);
    }
}
