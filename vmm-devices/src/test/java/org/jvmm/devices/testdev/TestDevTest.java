package org.jvmm.devices.testdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.irq.InterruptLine;

class TestDevTest {

    private final List<Long> flushed = new ArrayList<>();
    private final List<String> irqs = new ArrayList<>();
    private final Bus pio = new Bus("pio");
    private final Bus mmio = new Bus("mmio");

    TestDevTest() {
        pio.register("testdev", new AddressRange(0xe0, TestDevPorts.PORTS), new TestDevPorts(flushed::add));
        List<InterruptLine> lines = new ArrayList<>();
        for (int i = 0; i < TestDevIrqLines.LINES; i++) {
            int line = i;
            lines.add(new InterruptLine() {
                @Override
                public void raise() {
                    irqs.add("+" + line);
                }

                @Override
                public void lower() {
                    irqs.add("-" + line);
                }
            });
        }
        pio.register("testdev-irq", new AddressRange(0x2000, TestDevIrqLines.LINES), new TestDevIrqLines(lines));
        mmio.register("testdev-mem", new AddressRange(0xff00_0000L, TestDevMemory.SIZE), new TestDevMemory());
    }

    @Test
    void theScratchRegisterKeepsBytesByLane() {
        pio.write(0xe0, 4, 0x1122_3344L);
        assertEquals(0x1122_3344L, pio.read(0xe0, 4));
        pio.write(0xe2, 1, 0xaa);
        assertEquals(0x11aa_3344L, pio.read(0xe0, 4));
        assertEquals(0x11aa, pio.read(0xe2, 2));
        pio.write(0xe3, 4, 0xffff_ff55L);
        assertEquals(0x55aa_3344L, pio.read(0xe0, 4), "bytes past the register dropped");
        assertEquals(0x55, pio.read(0xe3, 4), "and read as 0");
        assertEquals(0x55aa_3344L, pio.read(0xe8, 4), "0xe8 is the same register");
        pio.write(0xe9, 2, 0x9999);
        assertEquals(0x5599_9944L, pio.read(0xe0, 4));
    }

    @Test
    void stringIoLeavesTheLastByte() {
        for (char c : "abcdefghijklmnop".toCharArray()) {
            pio.write(0xe0, 1, c);
        }
        assertEquals('p', pio.read(0xe0, 1), "emulator.c's outsb test");
        pio.write(0xe0, 2, 0x9999);
        for (int i = 0; i < 1024; i++) {
            assertEquals(0x99, pio.read(0xe0, 1), "rep insb after outw");
        }
    }

    @Test
    void flushTakesFourByteWritesOfAPageAddress() {
        pio.write(0xe4, 4, 0x1234_5678L);
        pio.write(0xe4, 2, 0x1000);
        pio.write(0xe4, 1, 0x10);
        pio.write(0xe5, 4, 0x2000);
        pio.write(0xe4, 8, 0xdead_beef_0000_0000L);
        assertEquals(List.of(0x1234_5000L), flushed, "only a 4-byte write at 0xe4, page aligned");
        assertEquals(0xffff_ffffL, pio.read(0xe4, 4), "nothing to read");
        pio.write(0xe4, 4, 0xffff_ffffL);
        assertEquals(0xffff_f000L, flushed.get(1), "any address reaches the callback, which must check it");
    }

    @Test
    void irqPortsRaiseAndLowerTheirLine() {
        pio.write(0x200e, 1, 1);
        pio.write(0x200e, 1, 0);
        pio.write(0x2017, 1, 0x80);
        pio.write(0x2000, 1, 0x100);
        assertEquals(List.of("+14", "-14", "+23", "-0"), irqs, "0x100 is 0 in a byte");
        assertEquals(0xff, pio.read(0x2000, 1));
    }

    @Test
    void aWideIrqWriteIsByteWritesToConsecutiveLines() {
        pio.write(0x200b, 4, 1);
        assertEquals(List.of("+11", "-12", "-13", "-14"), irqs, "realmode.c's outl to 0x200b, as QEMU splits it");
        irqs.clear();
        pio.write(0x2001, 2, 0x0100);
        assertEquals(List.of("-1", "+2"), irqs);
        irqs.clear();
        pio.write(0x2016, 4, 0x0101_0101L);
        assertEquals(List.of("+22", "+23"), irqs, "bytes past line 23 dropped");
        irqs.clear();
        pio.write(0x2000, 0, 1);
        pio.write(0x2000, 16, 1);
        assertEquals(List.of(), irqs, "no width 0 or above 8");
        assertThrows(IllegalArgumentException.class, () -> new TestDevIrqLines(List.of(InterruptLine.NONE)));
    }

    @Test
    void mmioMemoryIsLittleEndianAndBoundedAtBothEnds() {
        mmio.write(0xff00_0ffeL, 4, 0x8899_aabbL);
        assertEquals(0xaabb, mmio.read(0xff00_0ffeL, 2));
        assertEquals(0x8899, mmio.read(0xff00_1000L, 2), "across the page boundary");
        assertEquals(0x8899_aabbL, mmio.read(0xff00_0ffeL, 4));
        mmio.write(0xff00_fffcL, 8, 0x1122_3344_5566_7788L);
        assertEquals(0x5566_7788L, mmio.read(0xff00_fffcL, 8), "bytes past 64 KiB dropped, read as 0");
        assertEquals(0, mmio.read(0xff00_8000L, 8), "fresh memory is zero");
        TestDevMemory memory = new TestDevMemory();
        memory.write(Long.MAX_VALUE, 8, -1);
        memory.write(-4, 8, -1);
        assertEquals(0xffff_ffff_0000_0000L, memory.read(-4, 8), "from offset -4 only bytes 0-3 exist");
    }
}
