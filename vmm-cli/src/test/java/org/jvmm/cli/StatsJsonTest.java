package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.jvmm.machine.RunResult;
import org.jvmm.machine.StopCause;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.CounterSource;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.stats.PhaseAccounting;
import org.junit.jupiter.api.Test;

/** {@code --stats-json}: the document's fields, per reason, per vCPU and per device, from known accounting. */
class StatsJsonTest {

    private static final BusDevice NOTHING = new BusDevice() {
        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {}
    };

    @Test
    @SuppressWarnings("unchecked")
    void reasonsVcpusDevicesAndKvmCountersAreReportedAsRecorded() {
        Bus pio = new Bus("pio");
        pio.register("com1", new AddressRange(0x3f8, 8), NOTHING);
        Bus mmio = new Bus("mmio");
        mmio.register("virtio-console@0", new AddressRange(0xd000_0000L, 0x1000), NOTHING);
        ExitStats vcpu0 = new ExitStats(0, 1);
        ExitStats vcpu1 = new ExitStats(1, 1);
        for (long nanos : new long[] {1000, 3000}) {
            vcpu0.record(ExitReason.IO.code(), nanos);
            vcpu0.recordPort(0x3f8, nanos, false);
        }
        vcpu1.record(ExitReason.MMIO.code(), 5000);
        vcpu1.recordMmio(0, 5000);
        vcpu1.record(ExitReason.IO.code(), 7000);
        vcpu1.recordPort(0x80, 7000, true);
        RunResult result = new RunResult(new StopCause(StopCause.Kind.GUEST_EXIT, "debug exit, status 1", 1), List.of(),
                List.of(vcpu0.snapshot(), vcpu1.snapshot()), Map.of("vcpu.exits", 9L), 2_000_000L, new long[8], List.of(), 0);

        Map<String, Object> json = StatsJson.of(result, pio, mmio);

        assertEquals(List.of("exit_status", "summary", "wall_ns", "total", "vcpus", "devices", "kvm_counters"),
                List.copyOf(json.keySet()), "the README's field names, in order");
        assertEquals(1, json.get("exit_status"));
        assertEquals(2_000_000L, json.get("wall_ns"));
        List<Map<String, Object>> total = (List<Map<String, Object>>) json.get("total");
        assertEquals(2, total.size());
        Map<String, Object> io = total.stream().filter(r -> r.get("reason").equals(ExitReason.describe(ExitReason.IO.code())))
                .findFirst().orElseThrow();
        assertEquals(3L, io.get("exits"));
        assertEquals(3L, io.get("timed"));
        assertEquals(11_000L, io.get("total_ns"));
        assertEquals(1000L, io.get("min_ns"));
        assertEquals(7000L, io.get("max_ns"));
        assertEquals(11_000L / 3, io.get("avg_ns"));
        List<Map<String, Object>> vcpus = (List<Map<String, Object>>) json.get("vcpus");
        assertEquals(List.of(0, 1), vcpus.stream().map(v -> v.get("vcpu")).toList());
        List<Map<String, Object>> devices = (List<Map<String, Object>>) json.get("devices");
        assertEquals(List.of(
                Map.of("space", "pio", "address", 0x80, "exits", 1L, "total_ns", 7000L),
                Map.of("space", "pio", "address", 0x3f8, "device", "com1", "exits", 2L, "total_ns", 4000L),
                Map.of("space", "mmio", "address", 0xd000_0000L, "device", "virtio-console@0", "exits", 1L, "total_ns", 5000L)),
                devices.stream().map(d -> withoutNulls(d)).toList());
        assertEquals(Map.of("vcpu.exits", 9L), json.get("kvm_counters"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRunWithMarkedPhasesCarriesThemAfterTheTotals() {
        Bus pio = new Bus("pio");
        pio.register("com1", new AddressRange(0x3f8, 8), NOTHING);
        Bus mmio = new Bus("mmio");
        ExitStats vcpu0 = new ExitStats(0, 0);
        long[] now = {0};
        PhaseAccounting accounting = new PhaseAccounting(List.of(vcpu0), pio, mmio, CounterSource.NONE, () -> now[0]);
        accounting.start();
        vcpu0.record(ExitReason.IO.code(), 100);
        vcpu0.recordPort(0x3f8, 100, false);
        accounting.mark(5);
        now[0] = 3000;
        vcpu0.record(ExitReason.IO.code(), 200);
        vcpu0.recordPort(0x3f8, 200, false);
        vcpu0.record(ExitReason.IO.code(), 300);
        vcpu0.recordPort(0x3fd, 300, false);
        accounting.mark(64);
        RunResult result = new RunResult(new StopCause(StopCause.Kind.GUEST_EXIT, "debug exit, status 1", 1), List.of(),
                List.of(vcpu0.snapshot()), Map.of(), 5000L, new long[8], List.of(), 0, accounting.report());

        Map<String, Object> json = StatsJson.of(result, pio, mmio);

        assertEquals(List.of("exit_status", "summary", "wall_ns", "total", "vcpus", "devices", "kvm_counters", "phases"),
                List.copyOf(json.keySet()));
        Map<String, Object> phases = (Map<String, Object>) json.get("phases");
        assertEquals(1L, phases.get("dropped_marks"));
        List<Map<String, Object>> rows = (List<Map<String, Object>>) phases.get("rows");
        assertEquals(List.of(-1, 5), rows.stream().map(r -> r.get("phase")).toList());
        Map<String, Object> five = rows.get(1);
        assertEquals(List.of("phase", "marks", "wall_ns", "user_exits", "reasons", "reasons_ns", "devices", "vcpus",
                "kvm_counters"), List.copyOf(five.keySet()), "the fields docs/observability.md lists, in order");
        assertEquals(1L, five.get("marks"));
        assertEquals(3000L, five.get("wall_ns"));
        assertEquals(2L, five.get("user_exits"));
        assertEquals(Map.of("IO", 2L), five.get("reasons"));
        assertEquals(Map.of("IO", 500L), five.get("reasons_ns"));
        assertEquals(Map.of("com1", 2L), five.get("devices"));
        assertEquals(List.of(2L), five.get("vcpus"));
        String text = Json.write(json);
        assertTrue(text.contains("\"phases\":{\"dropped_marks\":1,\"rows\":[{\"phase\":-1,\"marks\":0,"), text);
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> map) {
        Map<String, Object> copy = new java.util.LinkedHashMap<>(map);
        copy.values().removeIf(java.util.Objects::isNull);
        return Map.copyOf(copy);
    }
}
