package org.jvmm.core.memory;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.function.ObjLongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every accessor refuses what lies outside the regions with a {@link GuestMemoryException} naming the
 * guest address and width, never a host exception, whichever way it misses region 0: its fast path
 * (one unsigned compare on region 0's fields) and the general lookup behind it must agree.
 */
class GuestMemoryRefusalTest {

    /** Region 0 is [0x1000, 0x3000), region 1 [0x4000, 0x5000). */
    private static final long FIRST_BASE = 0x1000;
    private static final long FIRST_END = 0x3000;
    private static final long SECOND_BASE = 0x4000;
    private static final long SECOND_END = 0x5000;

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

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    private GuestRegion region(long base, long size) {
        return new GuestRegion(base, arena.allocate(size, 4096));
    }

    private GuestMemory twoRegions() {
        return new RegionGuestMemory(List.of(
                region(FIRST_BASE, FIRST_END - FIRST_BASE), region(SECOND_BASE, SECOND_END - SECOND_BASE)));
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
