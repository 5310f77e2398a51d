package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.ValueLayout;
import org.jvmm.core.kvm.abi.KvmLayouts;
import org.jvmm.core.sys.Errno;
import org.jvmm.core.sys.Libc;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/**
 * {@link VcpuFd#run()}'s failure path on the real /dev/kvm: the call on the exit path captures no
 * errno and takes a failure for an interruption, so a failure that persists must still be reported,
 * by the next call, with the errno KVM gave. (Kicks and signals that are not kicks:
 * VcpuControlGuestTest.)
 */
@RequiresKvm
class VcpuFdRunGuestTest {

    private static final byte[] OUT_THEN_HLT = {(byte) 0xe6, 0x10, (byte) 0xf4};
    private static final long VALID_REGS = KvmLayouts.offset(KvmLayouts.RUN, "kvm_valid_regs");

    @Test
    void aFailedKvmRunIsReportedWithTheErrnoKvmGave() throws InterruptedException {
        try (TestMachine m = TestMachine.create(1 << 20)) {
            VcpuFd vcpu = m.realModeVcpu(0, OUT_THEN_HLT);
            awaitTheCallWithoutCapture();
            assertEquals(ExitReason.IO, vcpu.run(), "the guest runs before kvm_run is spoiled");
            // A register set KVM does not know: KVM_RUN refuses with EINVAL before it enters the
            // guest, every time it is asked.
            vcpu.kvmRun().segment().set(ValueLayout.JAVA_LONG, VALID_REGS, 1L << 63);
            assertEquals(ExitReason.INTR, vcpu.run(), "a first failure is taken for an interruption");
            KvmException failure = assertThrows(KvmException.class, vcpu::run, "the next call tells why");
            assertEquals("KVM_RUN", failure.operation());
            assertEquals(Errno.EINVAL, failure.errno(), failure.getMessage());

            vcpu.kvmRun().segment().set(ValueLayout.JAVA_LONG, VALID_REGS, 0L);
            assertEquals(ExitReason.HLT, vcpu.run(), "with kvm_run mended the guest goes on to its HLT");
        }
    }

    /** Kvm.open links it in the background; until then every KVM_RUN captures errno and a failure throws at once. */
    private static void awaitTheCallWithoutCapture() throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Libc.ioctlWithoutErrnoLinked()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("KVM_RUN's downcall without errno capture was not linked within 60 s");
            }
            Thread.sleep(5);
        }
    }
}
