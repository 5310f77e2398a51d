package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.testing.Guests;
import org.jvmm.core.testing.RecordingDevice;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/** Two vCPUs of one VM on two threads at once, each with its own port and its own accounting. */
@RequiresKvm
class TwoVcpuGuestTest {

    private static final int COUNT = 50;

    /** On its first write, waits until the other vCPU has made its first write too. */
    static final class Rendezvous extends RecordingDevice {
        private final CyclicBarrier barrier;
        private final AtomicInteger met;
        private boolean first = true;

        Rendezvous(CyclicBarrier barrier, AtomicInteger met) {
            this.barrier = barrier;
            this.met = met;
        }

        @Override
        protected void onWrite(long offset, int size, long value) {
            if (first) {
                first = false;
                try {
                    barrier.await(Guests.TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                    met.incrementAndGet();
                } catch (Exception e) {
                    throw new IllegalStateException("the other vCPU never ran", e);
                }
            }
        }
    }

    @Test
    void bothVcpusRunAtOnceAndEachSeesOnlyItsOwnExits() throws Exception {
        try (TestMachine m = TestMachine.create(1 << 20)) {
            CyclicBarrier barrier = new CyclicBarrier(2);
            AtomicInteger met = new AtomicInteger();
            Rendezvous port10 = m.port("p10", 0x10, 1, new Rendezvous(barrier, met));
            Rendezvous port11 = m.port("p11", 0x11, 1, new Rendezvous(barrier, met));
            Vcpu a = new Vcpu(m.realModeVcpu(0, 0x7c00, Guests.outLoop(0x10, 0x00, COUNT)), m.dispatcher(0));
            Vcpu b = new Vcpu(m.realModeVcpu(1, 0x8c00, Guests.outLoop(0x11, 0x80, COUNT)), m.dispatcher(1));
            try (a; b) {
                a.start();
                b.start();
                VcpuStop exitA = a.await(Guests.TIMEOUT_MILLIS);
                VcpuStop exitB = b.await(Guests.TIMEOUT_MILLIS);
                assertEquals(ExitReason.HLT, exitA.reason(), exitA.toString());
                assertEquals(ExitReason.HLT, exitB.reason(), exitB.toString());
                assertEquals(0, a.deviceErrors() + b.deviceErrors());
            }
            assertEquals(2, met.get(), "each vCPU waited at its first exit for the other: both were running");
            List<Long> expectA = new ArrayList<>();
            List<Long> expectB = new ArrayList<>();
            for (int i = 0; i < COUNT; i++) {
                expectA.add((long) i);
                expectB.add((long) (0x80 + i));
            }
            assertEquals(expectA, port10.writes());
            assertEquals(expectB, port11.writes());
            ExitStatsSnapshot sa = a.dispatcher().stats().snapshot();
            ExitStatsSnapshot sb = b.dispatcher().stats().snapshot();
            assertEquals(COUNT, sa.portExits()[0x10]);
            assertEquals(0, sa.portExits()[0x11]);
            assertEquals(COUNT, sb.portExits()[0x11]);
            assertEquals(0, sb.portExits()[0x10]);
            assertEquals(COUNT + 1, sa.totalExits());
            assertEquals(COUNT + 1, sb.totalExits());
            assertTrue(sa.vcpu() == 0 && sb.vcpu() == 1);
        }
    }
}
