package org.jvmm.core.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.ObjLongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RegionGuestMemoryTest {

    /** The regions of {@link #twoRegions}. */
    private static final long FIRST_BASE = 0x1000;
    private static final long FIRST_END = 0x3000;
    private static final long SECOND_BASE = 0x4000;
    private static final long SECOND_END = 0x5000;

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
        return new RegionGuestMemory(List.of(
                region(SECOND_BASE, SECOND_END - SECOND_BASE), region(FIRST_BASE, FIRST_END - FIRST_BASE)));
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

    // Refusals, for every accessor: whichever way an access misses region 0, its fast path (one
    // unsigned compare on region 0's fields) and the general lookup behind it must agree, and answer
    // with a GuestMemoryException naming the guest address and width, never a host exception.

    /** One accessor and the number of bytes it touches. */
    record Access(String name, int width, ObjLongConsumer<GuestMemory> run) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Access> accesses() {
        return List.of(
                new Access("readByte", 1, GuestMemory::readByte),
                new Access("readShort", 2, GuestMemory::readShort),
                new Access("readInt", 4, GuestMemory::readInt),
                new Access("readLong", 8, GuestMemory::readLong),
                new Access("writeByte", 1, (memory, address) -> memory.writeByte(address, (byte) 1)),
                new Access("writeShort", 2, (memory, address) -> memory.writeShort(address, (short) 1)),
                new Access("writeInt", 4, (memory, address) -> memory.writeInt(address, 1)),
                new Access("writeLong", 8, (memory, address) -> memory.writeLong(address, 1)),
                new Access("readShortAcquire", 2, GuestMemory::readShortAcquire),
                new Access("writeShortRelease", 2, (memory, address) -> memory.writeShortRelease(address, (short) 1)));
    }

    private static void assertRefused(GuestMemory memory, Access access, long address) {
        GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> access.run().accept(memory, address),
                () -> access + " at 0x" + Long.toHexString(address));
        assertEquals(address, e.address(), access.name());
        assertEquals(access.width(), e.length(), access.name());
    }

    private static void assertServed(GuestMemory memory, Access access, long address) {
        assertDoesNotThrow(() -> access.run().accept(memory, address), () -> access + " at 0x" + Long.toHexString(address));
    }

    @ParameterizedTest
    @MethodSource("accesses")
    void belowRegionZeroIsRefused(Access access) {
        GuestMemory memory = twoRegions();
        assertRefused(memory, access, 0);
        assertRefused(memory, access, FIRST_BASE - access.width());
        // The value would end inside region 0 but starts before it.
        assertRefused(memory, access, FIRST_BASE - 2);
        assertServed(memory, access, FIRST_BASE);
    }

    @ParameterizedTest
    @MethodSource("accesses")
    void overlappingTheEndOfRegionZeroIsRefused(Access access) {
        GuestMemory memory = twoRegions();
        long last = FIRST_END - access.width();
        assertServed(memory, access, last);
        for (long address = last + 1; address <= FIRST_END; address++) {
            assertRefused(memory, access, address);
        }
    }

    @ParameterizedTest
    @MethodSource("accesses")
    void theHoleBetweenTheRegionsIsRefused(Access access) {
        GuestMemory memory = twoRegions();
        for (long address : new long[] {FIRST_END, FIRST_END + 0x800, SECOND_BASE - access.width(), SECOND_BASE - 2}) {
            assertRefused(memory, access, address);
        }
        // Region 1 is served by the general lookup, which refuses its end the same way.
        assertServed(memory, access, SECOND_BASE);
        assertServed(memory, access, SECOND_END - access.width());
        for (long address = SECOND_END - access.width() + 1; address <= SECOND_END; address++) {
            assertRefused(memory, access, address);
        }
    }

    @ParameterizedTest
    @MethodSource("accesses")
    void hugeAndNegativeAddressesAreRefused(Access access) {
        GuestMemory memory = twoRegions();
        for (long address : new long[] {-1L, -2L, -8L, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - 7,
                Long.MIN_VALUE + FIRST_BASE, FIRST_BASE + (1L << 32), FIRST_BASE - (1L << 32)}) {
            assertRefused(memory, access, address);
        }
    }

    @ParameterizedTest
    @MethodSource("accesses")
    void aRegionZeroShorterThanTheValueServesNoneOfIt(Access access) {
        // Two bytes: a byte or a short fits at offset 0, nothing wider fits anywhere.
        long size = 2;
        GuestMemory memory = new RegionGuestMemory(List.of(region(FIRST_BASE, size), region(SECOND_BASE, 0x1000)));
        if (access.width() <= size) {
            assertServed(memory, access, FIRST_BASE);
        }
        long firstRefused = FIRST_BASE + Math.max(size - access.width() + 1, 0);
        for (long address = firstRefused; address <= FIRST_BASE + size; address++) {
            assertRefused(memory, access, address);
        }
    }

    @ParameterizedTest
    @MethodSource("accesses")
    void misalignedAcquireAndReleaseAreRefusedAndPlainAccessesServed(Access access) {
        GuestMemory memory = twoRegions();
        boolean ordered = access.name().endsWith("Acquire") || access.name().endsWith("Release");
        for (long address : new long[] {FIRST_BASE + 1, FIRST_BASE + 0x7ff, SECOND_BASE + 1, SECOND_BASE + 0x101}) {
            if (ordered) {
                assertRefused(memory, access, address);
            } else {
                assertServed(memory, access, address);
            }
        }
    }
}
