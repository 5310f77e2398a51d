package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.jvmm.cli.machine.RunResult;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStats;
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
        RunResult result = new RunResult(1, "debug exit, status 0", List.of(), List.of(vcpu0.snapshot(), vcpu1.snapshot()),
                Map.of("vcpu.exits", 9L), 2_000_000L, new long[16], false, 0);

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

    private static Map<String, Object> withoutNulls(Map<String, Object> map) {
        Map<String, Object> copy = new java.util.LinkedHashMap<>(map);
        copy.values().removeIf(java.util.Objects::isNull);
        return Map.copyOf(copy);
    }
}
