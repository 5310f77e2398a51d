package org.jvmm.devices.fwcfg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;

class FwCfgTest {

    private final Bus bus = new Bus("pio");

    FwCfgTest() {
        bus.register("fw_cfg", new AddressRange(0x510, FwCfg.PORTS), FwCfg.builder().ramSize(3L << 30).cpus(4, 8).item(0x8001, new byte[] {9, 8}).build());
    }

    /** What kvm-unit-tests' fwcfg_get_u does: select with a 16-bit write, read n bytes, little-endian. */
    private long get(int key, int bytes) {
        bus.write(0x510, 2, key);
        long value = 0;
        for (int i = 0; i < bytes; i++) {
            value |= bus.read(0x511, 1) << (8 * i);
        }
        return value;
    }

    @Test
    void theItemsKvmUnitTestsReads() {
        assertEquals(0x554d4551L, get(FwCfg.SIGNATURE, 4), "\"QEMU\"");
        assertEquals(1, get(FwCfg.ID, 4), "traditional interface, no DMA");
        assertEquals(3L << 30, get(FwCfg.RAM_SIZE, 8));
        assertEquals(4, get(FwCfg.NB_CPUS, 2));
        assertEquals(8, get(FwCfg.MAX_CPUS, 2));
        assertEquals(1, get(FwCfg.NOGRAPHIC, 2));
        assertEquals(0, get(FwCfg.UUID, 8));
        assertEquals(0, get(FwCfg.FILE_DIR, 4), "no files");
        assertEquals(0x0809, get(0x8001, 2), "an architecture-local item");
        assertEquals(0, get(0x11, 8), "an item that does not exist reads as 0 (kvm-unit-tests' MAX_RAM: no limit)");
    }

    @Test
    void readsPastTheEndAreZeroAndSelectingRewinds() {
        assertEquals(0x554d4551L, get(FwCfg.SIGNATURE, 8), "padded with zeros");
        bus.write(0x510, 2, FwCfg.SIGNATURE);
        assertEquals('Q', bus.read(0x511, 1), "a new selection starts over");
        assertEquals('E', bus.read(0x510, 1), "a byte read of the selector port reads data, as in QEMU");
        bus.write(0x510, 2, FwCfg.SIGNATURE | FwCfg.WRITE_CHANNEL);
        assertEquals('Q', bus.read(0x511, 1), "the write-channel bit is ignored");
    }

    @Test
    void hostileAccessesAreDroppedOrReadAsAllOnes() {
        bus.write(0x510, 2, FwCfg.RAM_SIZE);
        bus.read(0x511, 1);
        bus.write(0x511, 1, 0x55);
        bus.write(0x510, 1, FwCfg.SIGNATURE);
        bus.write(0x510, 4, FwCfg.SIGNATURE);
        assertEquals(0xffff, bus.read(0x510, 2), "only byte reads are decoded");
        assertEquals(0xffff_ffffL, bus.read(0x511, 4));
        assertEquals(0, bus.read(0x511, 1) | bus.read(0x511, 1), "no write moved the selection: RAM_SIZE's bytes 1 and 2");
        assertEquals(0xc0, bus.read(0x511, 1), "and byte 3 (3 GiB = 0xc0000000)");
        for (int key = 0; key <= 0xffff; key += 0x111) {
            bus.write(0x510, 2, key);
            for (int i = 0; i < 20; i++) {
                long b = bus.read(0x511, 1);
                assertEquals(b & 0xff, b, "a byte");
            }
        }
        bus.write(0x510, 2, 0xffff_ffffL);
        assertEquals(0, bus.read(0x511, 1), "the selector is 16 bits: 0xffff selects nothing");
    }

    @Test
    void itemsAreCopiesAndBadBuilderInputThrows() {
        byte[] cmdline = "x".getBytes(StandardCharsets.US_ASCII);
        FwCfg.Builder builder = FwCfg.builder().item(0x9, cmdline);
        cmdline[0] = 'y';
        FwCfg device = builder.build();
        assertArrayEquals(new byte[] {'x'}, device.item(0x9));
        device.item(0x9)[0] = 'z';
        assertArrayEquals(new byte[] {'x'}, device.item(0x9));
        assertArrayEquals(new byte[0], device.item(FwCfg.RAM_SIZE), "not set");
        assertThrows(IllegalArgumentException.class, () -> FwCfg.builder().cpus(0, 1));
        assertThrows(IllegalArgumentException.class, () -> FwCfg.builder().cpus(4, 2));
        assertThrows(IllegalArgumentException.class, () -> FwCfg.builder().item(0x4001, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> FwCfg.builder().item(0x1_0000, new byte[1]));
    }
}
