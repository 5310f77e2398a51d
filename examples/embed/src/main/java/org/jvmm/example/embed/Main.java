package org.jvmm.example.embed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.stats.ExitReport;
import org.jvmm.machine.BuiltinGuests;
import org.jvmm.machine.Interrupt;
import org.jvmm.machine.Machine;
import org.jvmm.machine.Notify;
import org.jvmm.machine.PortDeviceConfig;
import org.jvmm.machine.RawPayload;
import org.jvmm.machine.RunResult;
import org.jvmm.machine.VirtioConsoleConfig;
import org.jvmm.machine.VirtioPaths;

/**
 * A VMM of its own on jvmm's machine: the built-in virtio-console guest sends 4 KiB through a
 * virtio-console whose notifications KVM absorbs (ioeventfd), then reports the count to a port
 * device of this program's. Prints the console's output, what the device heard and the exit report;
 * exits 0 when the guest passed and every byte and the report arrived.
 */
public final class Main {

    private static final int BYTES = 4096;
    private static final int REPORT_PORT = 0x7000;

    /** The guest's args: bytes to send, mode (poll the used ring), -, slot 0, -, -, the report port. */
    private static final long[] ARGS = {BYTES, 0, 0, 0, 0, 0, REPORT_PORT};

    /** Our device: remembers what the guest reported. */
    static final class ReportPort implements BusDevice {
        volatile long reported = -1;

        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
            reported = value;
        }
    }

    private Main() {}

    public static void main(String[] args) throws IOException {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ReportPort report = new ReportPort();
        try (Machine machine = Machine.builder()
                .memory(64L << 20)
                .boot(RawPayload.longMode(BuiltinGuests.load("virtio-console"), ARGS))
                .device(new VirtioConsoleConfig(console, new VirtioPaths(Notify.IOEVENTFD, Interrupt.NONE, true)))
                .device(new PortDeviceConfig("report", report, REPORT_PORT, 4))
                .events(line -> System.out.println("machine: " + line))
                .build()) {
            RunResult result = machine.run(Duration.ofMinutes(5));
            String text = console.toString(StandardCharsets.US_ASCII);
            System.out.println("console: " + text.length() + " bytes, first line " + text.lines().findFirst().orElse(""));
            System.out.println("report port: " + report.reported);
            System.out.println("stopped: " + result.summary() + ", exit status " + result.exitStatus());
            System.out.print(ExitReport.format(result.perVcpu(), machine.pio(), machine.mmio(), result.kvmDelta(),
                    result.wallNanos()));
            boolean ok = result.exitStatus() == 1 && text.length() == BYTES && report.reported == BYTES;
            System.out.println(ok ? "embed: ok" : "embed: FAILED");
            System.exit(ok ? 0 : 1);
        }
    }
}
