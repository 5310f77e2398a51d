package org.jvmm.cli.compare;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.jvmm.machine.AtaPioConfig;
import org.jvmm.machine.BuiltinGuests;
import org.jvmm.machine.Machine;
import org.jvmm.machine.MachineBuilder;
import org.jvmm.machine.RawPayload;
import org.jvmm.machine.RunResult;
import org.jvmm.machine.VirtioBlockConfig;
import org.jvmm.machine.VirtioConsoleConfig;

/**
 * Measures the workloads: each path on a machine of its own, built through the machine's builder,
 * its transfer verified byte for byte (console) or by checksum (disk).
 *
 * @param bytes     console bytes per run
 * @param blkBytes  bytes read per block run, a multiple of 512
 * @param repeat    runs per path; the median by wall time is kept
 * @param kvmDevice the KVM device node
 */
public record Comparison(int bytes, int blkBytes, int repeat, Path kvmDevice) {

    private static final long MEMORY = 64L << 20;
    private static final Duration RUN_LIMIT = Duration.ofMinutes(10);

    /**
     * Checks the sizes.
     *
     * @param bytes     console bytes
     * @param blkBytes  block bytes
     * @param repeat    runs per path
     * @param kvmDevice KVM node
     */
    public Comparison {
        if (bytes < 1 || blkBytes < 512 || blkBytes % 512 != 0 || repeat < 1) {
            throw new IllegalArgumentException("--bytes must be positive, --blk-bytes a positive multiple of 512, --repeat positive");
        }
    }

    /**
     * Runs every path of the chosen workloads; a path that cannot run on this host gives a row that
     * says why instead of ending the comparison.
     *
     * @param console whether to run the console workload
     * @param blk     whether to run the block workload
     * @return one row per path, console paths first
     * @throws IOException when the temporary block image cannot be written
     */
    public List<Row> measure(boolean console, boolean blk) throws IOException {
        List<Row> rows = new ArrayList<>();
        if (console) {
            rows.addAll(runWorkload(Workloads.console(), null, null));
        }
        if (blk) {
            Path image = Files.createTempFile("jvmm-compare", ".img");
            try {
                byte[] data = new byte[blkBytes];
                new SplittableRandom(42).nextBytes(data);
                Files.write(image, data);
                rows.addAll(runWorkload(Workloads.blk(), image, BuiltinGuests.fnv1a(data)));
            } finally {
                Files.deleteIfExists(image);
            }
        }
        return rows;
    }

    private List<Row> runWorkload(List<ComparePath> paths, Path image, Long expectedChecksum) {
        List<Row> rows = new ArrayList<>();
        Row baseline = null;
        for (ComparePath path : paths) {
            List<Row> runs = new ArrayList<>();
            Row failure = null;
            for (int i = 0; i < repeat && failure == null; i++) {
                try {
                    runs.add(runOnce(path, image, expectedChecksum, baseline));
                } catch (IOException | RuntimeException e) {
                    failure = Row.failed(path, e);
                }
            }
            if (failure != null) {
                rows.add(failure);
                continue;
            }
            runs.sort(Comparator.comparingDouble(Row::wallMs));
            Row median = runs.get(runs.size() / 2);
            if (path.baseline() && median.verified()) {
                baseline = median;
            }
            rows.add(median);
        }
        return rows;
    }

    private Row runOnce(ComparePath path, Path image, Long expectedChecksum, Row baseline) throws IOException {
        long size = path.console() ? bytes : blkBytes;
        ByteArrayOutputStream captured = new ByteArrayOutputStream(path.console() ? bytes : 0);
        OutputStream serial = path.device() == ComparePath.Device.UART ? captured : OutputStream.nullOutputStream();
        MachineBuilder builder = Machine.builder()
                .kvmDevice(kvmDevice)
                .memory(MEMORY)
                .boot(RawPayload.longMode(BuiltinGuests.load(path.guest()), size, path.guestFlags()))
                .serial(serial, null)
                .events(line -> { });
        switch (path.device()) {
            case UART -> { }
            case VIRTIO_CONSOLE -> builder.device(new VirtioConsoleConfig(captured, path.paths()));
            case ATA_PIO -> builder.device(new AtaPioConfig(image, true));
            case VIRTIO_BLK -> builder.device(new VirtioBlockConfig(image, true, path.paths()));
        }
        RunResult result;
        try (Machine machine = builder.build()) {
            result = machine.run(RUN_LIMIT);
        }
        return Row.of(path, result, captured.toByteArray(), size, expectedChecksum, baseline);
    }
}
