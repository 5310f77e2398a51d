package org.jvmm.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.ExitReason;
import org.junit.jupiter.api.Test;

class ExitReportTest {

    private static final BusDevice NOTHING = new BusDevice() {
        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {}
    };

    /** The rows of the first reason table: name, samples, samples%, time%. */
    record Row(String name, long samples, double samplesPercent, double timePercent) {}

    static List<Row> firstTable(String report) {
        List<Row> rows = new ArrayList<>();
        boolean in = false;
        for (String line : report.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("VM-EXIT")) {
                in = true;
                continue;
            }
            if (in) {
                rows.add(new Row(f[0], Long.parseLong(f[1]), Double.parseDouble(f[2].replace("%", "")),
                        Double.parseDouble(f[3].replace("%", ""))));
                if (f[0].equals("Total")) {
                    return rows;
                }
            }
        }
        throw new AssertionError("no reason table in\n" + report);
    }

    @Test
    void totalsEqualTheSumOfTheRows() {
        Bus pio = new Bus("pio");
        pio.register("debug", new AddressRange(0x10, 1), NOTHING);
        Bus mmio = new Bus("mmio");
        mmio.register("virtio0", new AddressRange(0xd000_0000L, 0x1000), NOTHING);
        ExitStats a = new ExitStats(0, 1);
        ExitStats b = new ExitStats(1, 1);
        for (int i = 0; i < 7; i++) {
            a.record(ExitReason.IO.code(), 1000 + i);
            a.recordPort(0x10, 1000 + i, false);
        }
        a.record(ExitReason.IO.code(), 500);
        a.recordPort(0x80, 500, true);
        b.record(ExitReason.MMIO.code(), 3000);
        b.recordMmio(0, 3000);
        b.record(ExitReason.MMIO.code(), 100);
        b.recordMmio(-1, 100);
        b.record(ExitReason.HLT.code(), 10);
        b.record(ExitReason.INTR.code(), 20);

        String report = ExitReport.format(List.of(a.snapshot(), b.snapshot()), pio, mmio, Map.of(), 2_000_000_000L);

        List<Row> rows = firstTable(report);
        Row total = rows.get(rows.size() - 1);
        List<Row> body = rows.subList(0, rows.size() - 1);
        assertEquals(List.of("IO", "HLT", "MMIO", "INTR"), body.stream().map(Row::name).toList());
        assertEquals(12, total.samples());
        assertEquals(total.samples(), body.stream().mapToLong(Row::samples).sum());
        assertEquals(100.0, body.stream().mapToDouble(Row::samplesPercent).sum(), 0.05);
        assertEquals(100.0, body.stream().mapToDouble(Row::timePercent).sum(), 0.05);
        assertEquals(100.0, total.samplesPercent(), 1e-9);
        assertTrue(report.contains("wall time 2.000 s"), report);
        assertTrue(report.contains("vCPU 1:"), report);

        long deviceExits = 0;
        for (String line : report.split("\n")) {
            if (line.startsWith("port ") || line.startsWith("mmio")) {
                String[] f = line.trim().split("\\s+");
                deviceExits += Long.parseLong(f[f.length - 2]);
            }
        }
        assertEquals(8 + 2, deviceExits, "every IO and MMIO exit appears in the device table\n" + report);
        assertTrue(report.matches("(?s).*port 0x10\\s+debug\\s+7 .*"), report);
        assertTrue(report.matches("(?s).*port 0x80\\s+\\(unclaimed\\)\\s+1 .*"), report);
        assertTrue(report.matches("(?s).*virtio0\\s+1 .*"), report);
        assertTrue(report.contains("not available on this host"), report);
    }

    @Test
    void kvmCountersAppearBesideTheUserSpaceTotal() {
        ExitStats a = new ExitStats(0, 0);
        a.record(ExitReason.IO.code(), 10);
        a.record(ExitReason.HLT.code(), 10);
        Map<String, Long> kvm = new java.util.LinkedHashMap<>();
        kvm.put("vcpu.exits", 50L);
        kvm.put("vcpu.halt_exits", 0L);
        String report = ExitReport.format(List.of(a.snapshot()), new Bus("pio"), new Bus("mmio"), kvm, 1);
        assertTrue(report.matches("(?s).*vcpu\\.exits\\s+50\n.*"), report);
        assertTrue(!report.contains("halt_exits"), "zero counters are left out\n" + report);
        assertTrue(report.matches("(?s).*user-space exits \\(jvmm\\)\\s+2\n.*"), report);
        assertTrue(report.matches("(?s).*handled in the kernel \\(exits - user\\)\\s+48\n.*"), report);
    }

    @Test
    void markedPhasesGetATableWhoseTotalIsTheRunsAndUnmarkedRunsGetNone() {
        Bus pio = new Bus("pio");
        pio.register("com1", new AddressRange(0x3f8, 8), NOTHING);
        Bus mmio = new Bus("mmio");
        ExitStats a = new ExitStats(0, 0);
        long[] now = {1000};
        PhaseAccounting phases = new PhaseAccounting(List.of(a), pio, mmio, CounterSource.NONE, () -> now[0]);
        phases.start();
        String unmarked = ExitReport.format(List.of(a.snapshot()), pio, mmio, Map.of(), 1, phases.report());
        assertEquals(ExitReport.format(List.of(a.snapshot()), pio, mmio, Map.of(), 1), unmarked);
        assertTrue(!unmarked.contains("Phases"), unmarked);
        a.record(ExitReason.IO.code(), 10);
        a.recordPort(0x3f8, 10, false);
        phases.mark(7);
        now[0] += 2_500_000;
        for (int i = 0; i < 3; i++) {
            a.record(ExitReason.IO.code(), 10);
            a.recordPort(0x3f9, 10, false);
        }
        phases.mark(99);
        String report = ExitReport.format(List.of(a.snapshot()), pio, mmio, Map.of(), 1, phases.report());
        assertTrue(report.contains("Phases the guest marked (1 marks, 1 dropped"), report);
        assertTrue(report.matches("(?s).*\nbefore\\s+0\\s+0\\.000\\s+1\\s+-\\s+IO 1\n.*"), report);
        assertTrue(report.matches("(?s).*\n7\\s+1\\s+2\\.500\\s+3\\s+-\\s+IO 3\n.*"), report);
        assertTrue(report.matches("(?s).*\nTotal\\s+2\\.500\\s+4\\s+-\n.*"), report);
        assertTrue(report.contains("7        devices: com1 3; vCPUs: 0: 3"), report);
    }
}
