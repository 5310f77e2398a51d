package org.jvmm.core.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegionGuestMemoryTest {

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    private GuestRegion region(long base, long size) {
        return new GuestRegion(base, arena.allocate(size, 4096));
    }

    /** Two regions with a gap: [0x1000, 0x3000) and [0x4000, 0x5000). */
    private RegionGuestMemory twoRegions() {
        return new RegionGuestMemory(List.of(region(0x4000, 0x1000), region(0x1000, 0x2000)));
    }

    @Test
    void regionsAreSortedByBase() {
        RegionGuestMemory memory = twoRegions();
        assertEquals(0x1000, memory.regions().get(0).base());
        assertEquals(0x4000, memory.regions().get(1).base());
        assertEquals(0x3000, memory.totalSize());
    }

    @Test
    void firstAndLastBytesOfEachRegionAreReachable() {
        RegionGuestMemory memory = twoRegions();
        memory.writeByte(0x1000, (byte) 1);
        memory.writeByte(0x2fff, (byte) 2);
        memory.writeByte(0x4000, (byte) 3);
        memory.writeByte(0x4fff, (byte) 4);
        assertEquals(1, memory.readByte(0x1000));
        assertEquals(2, memory.readByte(0x2fff));
        assertEquals(3, memory.readByte(0x4000));
        assertEquals(4, memory.readByte(0x4fff));
        memory.writeLong(0x2ff8, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, memory.readLong(0x2ff8));
        assertEquals(0x55667788, memory.readInt(0x2ff8));
        assertEquals((short) 0x7788, memory.readShort(0x2ff8));
    }

    @Test
    void accessesOutsideEveryRegionThrowNamingTheAddress() {
        RegionGuestMemory memory = twoRegions();
        for (long address : new long[] {0, 0xfff, 0x3000, 0x3fff, 0x5000, -1L}) {
            GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> memory.readByte(address));
            assertEquals(address, e.address());
            assertEquals(1, e.length());
            assertTrue(e.getMessage().contains("0x" + Long.toHexString(address)), e.getMessage());
        }
    }

    @Test
    void accessesStraddlingARegionEndAreRejected() {
        RegionGuestMemory memory = twoRegions();
        assertThrows(GuestMemoryException.class, () -> memory.readLong(0x2ff9));
        assertThrows(GuestMemoryException.class, () -> memory.writeInt(0x2ffd, 1));
        assertThrows(GuestMemoryException.class, () -> memory.readShort(0x4fff));
        // [0x2000, 0x4000 + 0x10) spans the gap: one region must hold the whole range.
        GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> memory.slice(0x2000, 0x2010));
        assertEquals(0x2000, e.address());
        assertEquals(0x2010, e.length());
        assertFalse(memory.isValid(0x2fff, 2));
        assertTrue(memory.isValid(0x2ffe, 2));
        assertTrue(memory.isValid(0x1000, 0x2000));
        assertFalse(memory.isValid(0x1000, 0x2001));
    }

    @Test
    void hugeLengthsDoNotWrapAround() {
        RegionGuestMemory memory = twoRegions();
        assertFalse(memory.isValid(0x1000, -1L));
        assertFalse(memory.isValid(0x1fff, Long.MAX_VALUE));
    }

    @Test
    void overlappingRegionsAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new RegionGuestMemory(List.of(region(0x1000, 0x2000), region(0x2fff, 0x1000))));
        assertThrows(IllegalArgumentException.class,
                () -> new RegionGuestMemory(List.of(region(0x1000, 0x1000), region(0x1000, 0x1000))));
        assertThrows(IllegalArgumentException.class, () -> new RegionGuestMemory(List.of()));
        // Adjacent is fine.
        RegionGuestMemory adjacent = new RegionGuestMemory(List.of(region(0x2000, 0x1000), region(0x1000, 0x1000)));
        assertFalse(adjacent.isValid(0x1ffc, 8), "adjacent regions are still two regions");
    }

    @Test
    void regionsAboveTwoToTheSixtyThreeSortUnsigned() {
        long high = 0xffff_ffff_ffff_0000L;
        RegionGuestMemory memory = new RegionGuestMemory(List.of(region(high, 0x1000), region(0, 0x1000)));
        assertEquals(0, memory.regions().get(0).base());
        memory.writeInt(high + 4, 42);
        assertEquals(42, memory.readInt(high + 4));
    }

    @Test
    void sliceAndBulkCopiesSeeTheSameBytes() {
        RegionGuestMemory memory = twoRegions();
        memory.write(0x4010, new byte[] {1, 2, 3, 4});
        MemorySegment slice = memory.slice(0x4010, 4);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, slice.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        MemorySegment into = arena.allocate(4);
        memory.read(0x4010, into);
        assertEquals(0x04030201, into.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0));
    }

    @Test
    void acquireAndReleaseNeedNaturalAlignment() {
        RegionGuestMemory memory = twoRegions();
        memory.writeShortRelease(0x1002, (short) 0x1234);
        assertEquals(0x1234, memory.readShortAcquire(0x1002));
        assertEquals(0x1234, memory.readShort(0x1002));
        GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> memory.readShortAcquire(0x1003));
        assertEquals(0x1003, e.address());
        assertThrows(GuestMemoryException.class, () -> memory.writeShortRelease(0x1001, (short) 1));
        assertThrows(GuestMemoryException.class, () -> memory.readShortAcquire(0x2fff));
        assertThrows(GuestMemoryException.class, () -> memory.readShortAcquire(0x3000));
    }

    @Test
    void regionRejectsWrapAndEmptiness() {
        assertThrows(IllegalArgumentException.class, () -> region(0xffff_ffff_ffff_f001L, 0x1000));
        assertThrows(IllegalArgumentException.class, () -> new GuestRegion(0, MemorySegment.NULL));
        GuestRegion top = region(0xffff_ffff_ffff_f000L, 0x1000);
        assertEquals(0, top.end(), "a region ending at 2^64 has end 0");
        assertTrue(top.contains(0xffff_ffff_ffff_ffffL, 1));
    }
}
