package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.reflect.Method;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.stats.ExitStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exit path allocates nothing once warm: PIO out and in, a string OUT, MMIO write and read,
 * an unclaimed port and HLT, through {@link ExitDispatcher} with exit accounting on and off.
 * Measured with the thread's allocation counter, reached by reflection because the module does
 * not read java.management. (DispatchBenchmark shows the same with JMH's GC profiler.)
 */
class ExitDispatcherAllocationTest {

    private static final long DATA = 4096;

    /** A register that only adds: the device costs nothing, so any allocation is the dispatcher's. */
    static final class Register implements BusDevice {
        long sum;

        @Override
        public long read(long offset, int size) {
            return offset + size;
        }

        @Override
        public void write(long offset, int size, long value) {
            sum += value;
        }
    }

    private static long allocatedBytes() throws Exception {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (Long) m.invoke(bean);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void everyExitKindAllocatesNothing(boolean stats) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Register uart = new Register();
            Register virtio = new Register();
            Bus pio = new Bus("pio");
            pio.register("uart", new AddressRange(0x3f8, 8), uart);
            Bus mmio = new Bus("mmio");
            mmio.register("virtio", new AddressRange(0xd000_0000L, 0x200), virtio);
            ExitStats exitStats = new ExitStats(0, 1);
            exitStats.setEnabled(stats);
            ExitDispatcher dispatcher = new ExitDispatcher(pio, mmio, exitStats);
            KvmRun run = new KvmRun(arena.allocate(8192, 4096));

            for (int i = 0; i < 50_000; i++) {
                round(dispatcher, run);
            }
            long before = allocatedBytes();
            int measured = 20_000;
            for (int i = 0; i < measured; i++) {
                round(dispatcher, run);
            }
            long allocated = allocatedBytes() - before;
            // The counter read itself allocates a little; one byte per round would be 20 KB.
            assertTrue(allocated < 4096, allocated + " bytes allocated in " + measured + " rounds of 7 exits");
            assertEquals(70_000L * ('x' + 3 * 'y' + 0x51), uart.sum + virtio.sum, "every write reached its device");
            if (stats) {
                assertEquals(70_000L * 7, exitStats.snapshot().totalExits(), "every exit was counted");
            }
        }
    }

    private static void round(ExitDispatcher dispatcher, KvmRun run) {
        run.setExitReason(ExitReason.IO.code());
        run.setIo(KvmRun.IO_OUT, 1, 0x3f8, 1, DATA);
        run.setIoValue(0, 'x');
        dispatcher.dispatch(run, dispatcher.exitClock(run));
        run.setIo(KvmRun.IO_IN, 1, 0x3fd, 1, DATA);
        dispatcher.dispatch(run, dispatcher.exitClock(run));
        run.setIo(KvmRun.IO_OUT, 1, 0x3f8, 3, DATA); // rep outsb of three bytes
        run.setIoValue(0, 'y');
        run.setIoValue(1, 'y');
        run.setIoValue(2, 'y');
        dispatcher.dispatch(run, dispatcher.exitClock(run));
        run.setIo(KvmRun.IO_IN, 2, 0x80, 1, DATA); // unclaimed: all ones
        dispatcher.dispatch(run, dispatcher.exitClock(run));
        run.setExitReason(ExitReason.MMIO.code());
        run.setMmio(0xd000_0050L, 4, true, 0x51);
        dispatcher.dispatch(run, dispatcher.exitClock(run));
        run.setMmio(0xd000_0070L, 4, false, 0);
        dispatcher.dispatch(run, dispatcher.exitClock(run));
        run.setExitReason(ExitReason.HLT.code());
        dispatcher.dispatch(run, dispatcher.exitClock(run));
    }
}
