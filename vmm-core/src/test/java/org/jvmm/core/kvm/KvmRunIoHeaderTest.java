package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/** {@link KvmRun#ioHeader()}: one read gives what the four field reads give, at the edges of each field. */
class KvmRunIoHeaderTest {

    @Test
    void theHeaderDecodesAsTheFieldsRead() {
        try (Arena arena = Arena.ofConfined()) {
            KvmRun run = new KvmRun(arena.allocate(8192, 4096));
            int[][] cases = {{KvmRun.IO_OUT, 1, 0x3f8, 1}, {KvmRun.IO_IN, 4, 0xffff, 0x7fff_ffff},
                    {KvmRun.IO_IN, 2, 0, 0x1_0000}, {KvmRun.IO_OUT, 0xff, 0x8000, 3}};
            for (int[] c : cases) {
                run.setIo(c[0], c[1], c[2], c[3], 4096);
                long header = run.ioHeader();
                assertEquals(run.ioDirection(), KvmRun.ioDirection(header));
                assertEquals(run.ioSize(), KvmRun.ioSize(header));
                assertEquals(run.ioPort(), KvmRun.ioPort(header));
                assertEquals(run.ioCount(), KvmRun.ioCount(header));
                assertEquals(c[0], KvmRun.ioDirection(header));
                assertEquals(c[1], KvmRun.ioSize(header));
                assertEquals(c[2], KvmRun.ioPort(header));
                assertEquals(c[3], KvmRun.ioCount(header));
            }
        }
    }

    @Test
    void valuesWithAHeaderAreTheValuesWithout() {
        try (Arena arena = Arena.ofConfined()) {
            KvmRun run = new KvmRun(arena.allocate(8192, 4096));
            run.setIo(KvmRun.IO_IN, 2, 0x60, 3, 4096);
            long header = run.ioHeader();
            run.setIoValue(header, 0, 0x1_2345);
            run.setIoValue(header, 2, 0xbeef);
            assertEquals(0x2345, run.ioValue(0));
            assertEquals(0xbeef, run.ioValue(header, 2));
            assertEquals(0, run.ioValue(header, 1));
        }
    }
}
