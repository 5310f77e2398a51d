package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Errno;
import org.jvmm.core.sys.Libc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The decisions of {@link VcpuFd#run()} without KVM: a vCPU whose run call is scripted, and whose
 * errno-capturing call (the one after a failure) makes a real system call that fails with a known
 * errno, or succeeds.
 * The same paths on the real /dev/kvm: VcpuFdRunGuestTest, VcpuControlGuestTest.
 */
class VcpuFdRunTest {

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment page = arena.allocate(8192, 4096);

    @AfterEach
    void close() {
        arena.close();
    }

    /** What the scripted errno-capturing call does. */
    private enum Second {
        SUCCEEDS, FAILS_WITH_EBADF, FAILS_WITH_EAGAIN
    }

    /** A run call whose calls without capture return the scripted results; its capturing call does {@code second}. */
    private static final class ScriptedRunCall implements RunCall {
        final Deque<Integer> results = new ArrayDeque<>();
        final Second second;
        boolean ready = true;
        int capturingCalls;

        ScriptedRunCall(Second second, Integer... results) {
            this.second = second;
            this.results.addAll(List.of(results));
        }

        @Override
        public int run(int fd) {
            return results.remove();
        }

        @Override
        public boolean ready() {
            return ready;
        }

        @Override
        public int runCapturingErrno(CallState state, int fd) {
            capturingCalls++;
            return switch (second) {
                case SUCCEEDS -> 0;
                case FAILS_WITH_EBADF -> Libc.ioctl(state, -1, 0x5451, 0L);
                case FAILS_WITH_EAGAIN -> readEmptyNonBlockingEventFd(state);
            };
        }

        private static int readEmptyNonBlockingEventFd(CallState state) {
            int fd = state.check(Libc.eventfd(state, 0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC), "eventfd");
            int result = (int) Libc.read(state, fd, Arena.ofAuto().allocate(8), 8);
            Libc.close(new CallState(Arena.ofAuto()), fd); // errno of the read stays in state
            return result;
        }
    }

    private VcpuFd vcpu(ScriptedRunCall call) {
        int fd = CallState.current().check(Libc.eventfd(CallState.current(), 0, Libc.EFD_CLOEXEC), "eventfd");
        return VcpuFd.synthetic(fd, call, page);
    }

    @Test
    void aRunThatSucceedsCapturesNothing() {
        ScriptedRunCall call = new ScriptedRunCall(Second.SUCCEEDS, 0, 0);
        VcpuFd vcpu = vcpu(call);
        vcpu.kvmRun().setExitReason(ExitReason.HLT.code());
        assertEquals(ExitReason.HLT, vcpu.run());
        assertEquals(ExitReason.HLT, vcpu.run());
        assertEquals(0, call.capturingCalls);
        vcpu.close();
    }

    @Test
    void aFailedRunIsAnInterruptionThatOverwritesTheStaleExit() {
        ScriptedRunCall call = new ScriptedRunCall(Second.SUCCEEDS, -1, 0);
        VcpuFd vcpu = vcpu(call);
        vcpu.kvmRun().setExitReason(ExitReason.IO.code());
        assertEquals(ExitReason.INTR, vcpu.run());
        assertEquals(ExitReason.INTR, vcpu.kvmRun().exitReason(), "kvm_run must not describe the previous port write any more");
        assertEquals(0, call.capturingCalls, "an interruption costs no second call");

        vcpu.kvmRun().setExitReason(ExitReason.MMIO.code());
        assertEquals(ExitReason.MMIO, vcpu.run(), "the call after a failure");
        assertEquals(1, call.capturingCalls, "captures errno");
        assertEquals(ExitReason.MMIO, vcpu.run(), "and after a success");
        assertEquals(1, call.capturingCalls, "the next one does not");
        vcpu.close();
    }

    @Test
    void eagainAfterAFailureIsAnotherInterruption() {
        ScriptedRunCall call = new ScriptedRunCall(Second.FAILS_WITH_EAGAIN, -1);
        VcpuFd vcpu = vcpu(call);
        assertEquals(ExitReason.INTR, vcpu.run());
        vcpu.kvmRun().setExitReason(ExitReason.IO.code());
        assertEquals(ExitReason.INTR, vcpu.run());
        assertEquals(ExitReason.INTR, vcpu.kvmRun().exitReason());
        assertEquals(1, call.capturingCalls);
        vcpu.close();
    }

    @Test
    void anyOtherErrnoAfterAFailureIsThrownNamingKvmRun() {
        ScriptedRunCall call = new ScriptedRunCall(Second.FAILS_WITH_EBADF, -1);
        VcpuFd vcpu = vcpu(call);
        assertEquals(ExitReason.INTR, vcpu.run());
        KvmException failure = assertThrows(KvmException.class, vcpu::run);
        assertEquals("KVM_RUN", failure.operation());
        assertEquals(Errno.EBADF, failure.errno());
        assertEquals(1, call.capturingCalls);
        vcpu.close();
    }

    @Test
    void untilTheCallWithoutCaptureIsReadyEveryCallCapturesErrno() {
        ScriptedRunCall call = new ScriptedRunCall(Second.SUCCEEDS, 0);
        call.ready = false;
        VcpuFd vcpu = vcpu(call);
        vcpu.kvmRun().setExitReason(ExitReason.HLT.code());
        assertEquals(ExitReason.HLT, vcpu.run());
        assertEquals(ExitReason.HLT, vcpu.run());
        assertEquals(2, call.capturingCalls, "not linked yet: no call may wait for the link");
        call.ready = true;
        assertEquals(ExitReason.HLT, vcpu.run());
        assertEquals(3, call.capturingCalls, "the call that finds it ready still captured");
        assertEquals(ExitReason.HLT, vcpu.run());
        assertEquals(3, call.capturingCalls, "from then on no call captures");
        assertTrue(call.results.isEmpty(), "and the one call without capture was made");
        vcpu.close();
    }
}
