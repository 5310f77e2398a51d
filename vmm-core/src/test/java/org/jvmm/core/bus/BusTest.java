package org.jvmm.core.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusTest {

    /** Answers reads with offset * 0x100 + size; records writes as "offset:size:value". */
    static final class Probe implements BusDevice {
        final List<String> writes = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            return offset * 0x100 + size;
        }

        @Override
        public void write(long offset, int size, long value) {
            writes.add(offset + ":" + size + ":" + Long.toHexString(value));
        }
    }

    @Test
    void addressRangeValidatesAndComparesUnsigned() {
        assertThrows(IllegalArgumentException.class, () -> new AddressRange(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new AddressRange(0, -1));
        assertThrows(IllegalArgumentException.class, () -> new AddressRange(-16, 17));
        AddressRange top = new AddressRange(-16, 16);
        assertEquals(-1L, top.last());
        assertTrue(top.contains(-1L));
        assertFalse(top.contains(0));
        AddressRange r = new AddressRange(0x10, 8);
        assertTrue(r.contains(0x10));
        assertTrue(r.contains(0x17));
        assertFalse(r.contains(0x18));
        assertFalse(r.contains(0x0f));
        assertTrue(r.overlaps(new AddressRange(0x17, 1)));
        assertTrue(r.overlaps(new AddressRange(0, 0x11)));
        assertTrue(r.overlaps(new AddressRange(0, 0x100)));
        assertFalse(r.overlaps(new AddressRange(0x18, 1)));
        assertFalse(r.overlaps(new AddressRange(0, 0x10)));
        assertEquals("0x10-0x17", r.toString());
    }

    @Test
    void overlappingRegistrationsAreRejectedAndLeaveTheBusUnchanged() {
        Bus bus = new Bus("pio");
        bus.register("a", new AddressRange(0x10, 8), new Probe());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bus.register("b", new AddressRange(0x17, 2), new Probe()));
        assertTrue(e.getMessage().contains("overlaps a"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bus.register("c", new AddressRange(0, 0x11), new Probe()));
        assertEquals(1, bus.entries().size());
        assertNull(bus.lookup(0x18));
        bus.register("d", new AddressRange(0x18, 1), new Probe());
        bus.register("e", new AddressRange(0x0f, 1), new Probe());
        assertEquals(List.of("a", "d", "e"), bus.entries().stream().map(Bus.Entry::name).toList());
        assertEquals(2, bus.find("e").orElseThrow().index());
    }

    @Test
    void lookupFindsEdgesOfEveryRangeAndNothingBetween() {
        Bus bus = new Bus("mmio");
        Bus.Entry low = bus.register("low", new AddressRange(0x1000, 0x100), new Probe());
        Bus.Entry high = bus.register("high", new AddressRange(0xd000_0000L, 0x1000), new Probe());
        Bus.Entry top = bus.register("top", new AddressRange(0xffff_ffff_ffff_f000L, 0x1000), new Probe());
        Bus.Entry mid = bus.register("mid", new AddressRange(0x2000, 1), new Probe());
        assertSame(low, bus.lookup(0x1000));
        assertSame(low, bus.lookup(0x10ff));
        assertNull(bus.lookup(0x0fff));
        assertNull(bus.lookup(0x1100));
        assertSame(mid, bus.lookup(0x2000));
        assertNull(bus.lookup(0x2001));
        assertNull(bus.lookup(0x1fff));
        assertSame(high, bus.lookup(0xd000_0000L));
        assertSame(high, bus.lookup(0xd000_0fffL));
        assertNull(bus.lookup(0xd000_1000L));
        assertSame(top, bus.lookup(-1L));
        assertNull(bus.lookup(0));
        assertNull(new Bus("empty").lookup(0));
    }

    @Test
    void readsAndWritesGoToTheDeviceAtItsOffset() {
        Bus bus = new Bus("pio");
        Probe probe = new Probe();
        bus.register("uart", new AddressRange(0x3f8, 8), probe);
        assertEquals(5 * 0x100 + 1, bus.read(0x3fd, 1));
        assertTrue(bus.write(0x3f8, 1, 0x41));
        assertEquals(List.of("0:1:41"), probe.writes);
    }

    @Test
    void unclaimedReadsAreAllOnesAndWritesAreDropped() {
        Bus bus = new Bus("pio");
        assertEquals(0xffL, bus.read(0x80, 1));
        assertEquals(0xffffL, bus.read(0x80, 2));
        assertEquals(0xffff_ffffL, bus.read(0x80, 4));
        assertEquals(-1L, bus.read(0x80, 8));
        assertFalse(bus.write(0x80, 1, 0));
        assertEquals(0xff_ffffL, Bus.allOnes(3));
    }
}
