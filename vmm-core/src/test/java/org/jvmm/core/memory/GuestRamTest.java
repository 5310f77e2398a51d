package org.jvmm.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GuestRamTest {

    @Test
    void rejectsSizesThatAreNotPositivePageMultiples() {
        for (long size : new long[] {0, 1, 4095, 4097, 3 * 4096 + 1, -4096}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GuestRam.allocate(size));
            assertTrue(e.getMessage().contains(Long.toString(size)), e.getMessage());
        }
    }

    @Test
    void rejectsMoreThanOneTebibyte() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GuestRam.allocate(GuestRam.MAX_SIZE + 4096));
        assertTrue(e.getMessage().contains("1 TiB"), e.getMessage());
    }

    @Test
    void smallRamIsOneRegionAtZero() {
        try (GuestRam ram = GuestRam.allocate(2 * 4096)) {
            assertEquals(1, ram.regions().size());
            assertEquals(0, ram.regions().get(0).base());
            assertEquals(8192, ram.size());
            ram.memory().writeLong(8184, -1L);
            assertEquals(-1L, ram.memory().readLong(8184));
            assertThrows(GuestMemoryException.class, () -> ram.memory().readByte(8192));
        }
    }

    @Test
    void ramUpToTheHoleIsOneRegion() {
        try (GuestRam ram = GuestRam.allocate(GuestRam.MMIO_HOLE_START)) {
            assertEquals(1, ram.regions().size());
            assertEquals(GuestRam.MMIO_HOLE_START, ram.regions().get(0).end());
        }
    }

    @Test
    void fourGibibytesAreSplitAroundTheMmioHoleWithoutTouchingThePages() {
        long fourGiB = 4L << 30;
        try (GuestRam ram = GuestRam.allocate(fourGiB)) {
            assertEquals(2, ram.regions().size());
            GuestRegion low = ram.regions().get(0);
            GuestRegion high = ram.regions().get(1);
            assertEquals(0, low.base());
            assertEquals(GuestRam.MMIO_HOLE_START, low.size());
            assertEquals(GuestRam.HIGH_RAM_START, high.base());
            assertEquals(fourGiB - GuestRam.MMIO_HOLE_START, high.size());
            assertEquals(fourGiB, ram.size());
            GuestMemory memory = ram.memory();
            assertTrue(!memory.isValid(GuestRam.MMIO_HOLE_START, 1), "the hole holds no RAM");
            assertTrue(!memory.isValid(GuestRam.HIGH_RAM_START - 1, 1));
            // MAP_NORESERVE: touching a few pages costs only those pages.
            memory.writeLong(GuestRam.MMIO_HOLE_START - 8, 7);
            memory.writeLong(GuestRam.HIGH_RAM_START, 8);
            memory.writeLong(GuestRam.HIGH_RAM_START + high.size() - 8, 9);
            assertEquals(7, memory.readLong(GuestRam.MMIO_HOLE_START - 8));
            assertEquals(8, memory.readLong(GuestRam.HIGH_RAM_START));
            assertEquals(9, memory.readLong(GuestRam.HIGH_RAM_START + high.size() - 8));
        }
    }

    @Test
    void closedRamThrowsInsteadOfCrashing() {
        GuestRam ram = GuestRam.allocate(4096);
        GuestMemory memory = ram.memory();
        ram.close();
        ram.close();
        assertThrows(IllegalStateException.class, () -> memory.readByte(0));
    }

    @Test
    void explicitLayoutsRejectMisalignedBasesAndOverlaps() {
        assertThrows(IllegalArgumentException.class, () -> GuestRam.allocate(new long[][] {{0x800, 4096}}));
        assertThrows(IllegalArgumentException.class, () -> GuestRam.allocate(new long[][] {{0, 8192}, {4096, 4096}}));
        try (GuestRam ram = GuestRam.allocate(new long[][] {{0x10000, 4096}, {0, 4096}})) {
            assertEquals(0, ram.regions().get(0).base());
            assertEquals(0x10000, ram.regions().get(1).base());
        }
    }
}
