package org.jvmm.core.arch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import org.jvmm.core.kvm.Translation;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;
import org.junit.jupiter.api.Test;

/**
 * Linear accesses over a made-up translation: page 0x10 maps to physical page 3, page 0x11 to
 * physical page 1 (backwards, so a copy across them must translate twice), page 0x12 to a physical
 * address outside RAM, page 0x13 is unmapped.
 */
class LinearMemoryTest {

    private final RegionGuestMemory memory = new RegionGuestMemory(
            List.of(new GuestRegion(0, Arena.ofAuto().allocate(4 * 4096, 4096))));

    private static Translation translate(long linear) {
        long page = linear >>> 12;
        long offset = linear & 0xfff;
        if (page == 0x10) {
            return new Translation(linear, 0x3000 + offset, true, true, false);
        }
        if (page == 0x11) {
            return new Translation(linear, 0x1000 + offset, true, false, false);
        }
        if (page == 0x12) {
            return new Translation(linear, 0x100_0000 + offset, true, true, false);
        }
        return Translation.unmapped(linear);
    }

    private final LinearMemory linear = new LinearMemory(memory, LinearMemoryTest::translate);

    @Test
    void aReadAcrossTwoPagesTranslatesEachPage() {
        memory.write(0x3ffe, new byte[] {1, 2});
        memory.write(0x1000, new byte[] {3, 4});
        byte[] into = new byte[6];
        assertEquals(4, linear.read(0x10ffe, into, 1, 4));
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 0}, into);
    }

    @Test
    void aWriteReachesReadOnlyPagesAndStopsWhereRamEnds() {
        byte[] data = new byte[0x1000 + 16];
        Arrays.fill(data, (byte) 0x5a);
        // Page 0x11 is read-only for the guest, but a debugger writes there; page 0x12 is not RAM.
        assertEquals(0x1000 + 8, linear.write(0x10ff8, data, 0, data.length));
        assertEquals(0x5a, memory.readByte(0x3ff8));
        assertEquals(0x5a, memory.readByte(0x1fff));
        assertEquals(0, memory.readByte(0x3ff7));
    }

    @Test
    void anUnmappedFirstPageReadsNothing() {
        assertEquals(0, linear.read(0x13000, new byte[8], 0, 8));
        assertEquals(0, linear.read(0x12ff0, new byte[8], 0, 8), "outside RAM");
        assertEquals(0, linear.write(0xffff_ffff_ffff_fff0L, new byte[32], 0, 32));
    }
}
