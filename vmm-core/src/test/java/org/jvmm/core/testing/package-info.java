/**
 * Test support for guests on real KVM: {@link org.jvmm.core.testing.RequiresKvm} (skip or, under
 * CI, fail without {@code /dev/kvm}), a bare {@link org.jvmm.core.testing.TestMachine} and a
 * {@link org.jvmm.core.testing.RecordingDevice} that logs every bus access.
 */
package org.jvmm.core.testing;
