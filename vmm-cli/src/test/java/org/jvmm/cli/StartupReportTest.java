package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartupReportTest {

    @Test
    void theLaunchersClockIsBashsEpochRealtime() {
        assertEquals(Instant.ofEpochSecond(1733241234, 123_456_000), StartupReport.parseLaunch("1733241234.123456"));
        assertEquals(Instant.ofEpochSecond(1733241234, 500_000_000), StartupReport.parseLaunch("1733241234,5"),
                "a locale with a decimal comma");
        assertEquals(Instant.ofEpochSecond(17), StartupReport.parseLaunch("17"));
        assertNull(StartupReport.parseLaunch(null));
        assertNull(StartupReport.parseLaunch("soon"));
        assertNull(StartupReport.parseLaunch("12.x4"));
        assertNull(StartupReport.parseLaunch("12.1234567890"));
    }

    @Test
    void statusValuesAreReadByName() {
        String status = "Name:\tjava\nVmHWM:\t   51234 kB\nVmRSS:\t   40960 kB\nRssAnon:\t   30000 kB\n";
        assertEquals(40960, StartupReport.statusKib(status, "VmRSS:"));
        assertEquals(51234, StartupReport.statusKib(status, "VmHWM:"));
        assertEquals(-1, StartupReport.statusKib(status, "RssShmem:"));
    }

    @Test
    void guestMemoryIsTheResidentPartOfTheMappingsItOverlaps() {
        MemorySegment ram = MemorySegment.ofAddress(0x7f00_0000_0000L).reinterpret(0x400_0000); // 64 MiB
        List<String> smaps = List.of(
                "7eff00000000-7f0000000000 rw-p 00000000 00:00 0 ",
                "Size:            4194304 kB",
                "Rss:                1000 kB",
                "7f0000000000-7f0004000000 rw-p 00000000 00:00 0 ",
                "Size:              65536 kB",
                "Rss:                 120 kB",
                "Pss:                 120 kB",
                "7f0004000000-7f0004001000 rw-s 00000000 00:0e 42                         anon_inode:kvm-vcpu:0",
                "Rss:                   4 kB",
                "VmFlags: rd wr sh mr mw me ms sd");
        assertEquals(120, StartupReport.residentKib(smaps, List.of(ram)));
        MemorySegment high = MemorySegment.ofAddress(0x7eff_0000_0000L).reinterpret(0x1000);
        assertEquals(1120, StartupReport.residentKib(smaps, List.of(ram, high)));
        assertEquals(0, StartupReport.residentKib(smaps, List.of()));
    }

    @Test
    void memoryOfThisProcessAddsUp() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment touched = arena.allocate(8 << 20, 4096);
            touched.fill((byte) 1);
            String line = StartupReport.memory(List.of(touched));
            long rss = value(line, "rss_kib");
            long guest = value(line, "guest_kib");
            assertTrue(guest >= 8 << 10, "the 8 MiB written count as guest memory: " + line);
            assertEquals(rss - guest, value(line, "vmm_kib"), line);
            assertTrue(value(line, "hwm_kib") >= rss, line);
        }
    }

    private static long value(String line, String key) {
        for (String part : line.trim().split(" ")) {
            if (part.startsWith(key + "=")) {
                return Long.parseLong(part.substring(key.length() + 1));
            }
        }
        throw new AssertionError(key + " missing from " + line);
    }
}
