package org.jvmm.cli.trace;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import jdk.jfr.Recording;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.vcpu.ExitListener;
import org.jvmm.devices.virtio.VirtioObserver;

/**
 * {@code --jfr FILE}: a JFR recording of jvmm's exit and device events, dumped when the run ends.
 *
 * <p>An exit is recorded only when its handling took at least the threshold ({@code --jfr-threshold},
 * {@link #DEFAULT_THRESHOLD_NANOS} by default, 0 records every exit): the exit events are instants that carry
 * the handling time as a field, so JFR's own {@code threshold} setting (which compares an event's duration)
 * cannot filter them. The check comes first, before an event object is made; then {@code shouldCommit()}
 * (enabled, and JFR's settings) before any field is filled, so a skipped exit costs a compare.
 */
public final class JfrTracing implements ExitListener, AutoCloseable {

    /**
     * The default threshold: 100 us. On hardware KVM a whole port-I/O round trip costs a few microseconds and
     * jvmm's handling of it less, so by default only the slow outliers are recorded (device work, a GC or JIT
     * pause, a blocked HLT), not the steady stream of cheap exits.
     */
    public static final long DEFAULT_THRESHOLD_NANOS = 100_000;

    private final Recording recording;
    private final Path file;
    private final long thresholdNanos;

    /**
     * Starts the recording with the default threshold.
     *
     * @param file where it is written at {@link #close()}
     */
    public JfrTracing(Path file) {
        this(file, DEFAULT_THRESHOLD_NANOS);
    }

    /**
     * Starts the recording.
     *
     * @param file where it is written at {@link #close()}
     * @param thresholdNanos record only exits whose handling took at least this long; 0 records all
     */
    public JfrTracing(Path file, long thresholdNanos) {
        if (thresholdNanos < 0) {
            throw new IllegalArgumentException("negative JFR threshold: " + thresholdNanos + " ns");
        }
        this.file = file;
        this.thresholdNanos = thresholdNanos;
        // Only jvmm's events: the JDK's default profile samples every thread's stack 50 times a second,
        // which on an emulated host cost more than the events themselves. Add it with
        // -XX:StartFlightRecording when JDK events are wanted too.
        this.recording = new Recording();
        recording.enable(PioExitEvent.class);
        recording.enable(MmioExitEvent.class);
        recording.enable(OtherExitEvent.class);
        recording.enable(VirtioEvent.class);
        recording.setToDisk(true);
        recording.start();
    }

    @Override
    public void exitHandled(int vcpu, KvmRun run, int reason, long nanos) {
        if (nanos < thresholdNanos) {
            return;
        }
        if (reason == ExitReason.IO.code()) {
            PioExitEvent e = new PioExitEvent();
            if (e.shouldCommit()) {
                e.vcpu = vcpu;
                e.port = run.ioPort();
                e.size = run.ioSize();
                e.count = run.ioCount();
                e.write = run.ioDirection() == KvmRun.IO_OUT;
                e.handlingTime = nanos;
                e.commit();
            }
        } else if (reason == ExitReason.MMIO.code()) {
            MmioExitEvent e = new MmioExitEvent();
            if (e.shouldCommit()) {
                e.vcpu = vcpu;
                e.address = run.mmioAddress();
                e.size = run.mmioLength();
                e.write = run.mmioIsWrite();
                e.handlingTime = nanos;
                e.commit();
            }
        } else {
            OtherExitEvent e = new OtherExitEvent();
            if (e.shouldCommit()) {
                e.vcpu = vcpu;
                e.reason = ExitReason.describe(reason);
                e.handlingTime = nanos;
                e.commit();
            }
        }
    }

    /**
     * An observer that records a virtio device's events.
     *
     * @param device the device's name
     * @return the observer
     */
    public static VirtioObserver observer(String device) {
        return new VirtioObserver() {
            @Override
            public void queueNotified(int queue) {
                VirtioEvent e = event(device, "notify");
                e.queue = queue;
                e.commit();
            }

            @Override
            public void interruptRaised(int interruptStatus) {
                VirtioEvent e = event(device, "interrupt");
                e.interruptStatus = interruptStatus;
                e.commit();
            }

            @Override
            public void chainProcessed(int queue, long bytes) {
                VirtioEvent e = event(device, "chain");
                e.queue = queue;
                e.bytes = bytes;
                e.commit();
            }

            @Override
            public void deviceError(String message) {
                VirtioEvent e = event(device, "error");
                e.message = message;
                e.commit();
            }
        };
    }

    /**
     * Parses a threshold the way JFR writes one: a number and a unit, {@code ns}, {@code us}, {@code ms} or
     * {@code s}, with or without a space ({@code 100us}, {@code 20 ms}); a bare {@code 0} is zero.
     *
     * @param text the threshold
     * @return nanoseconds
     * @throws IllegalArgumentException when it is not a duration or is negative
     */
    public static long parseThreshold(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit;
        String number;
        if (t.endsWith("ns")) {
            unit = 1;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("us")) {
            unit = 1_000;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("ms")) {
            unit = 1_000_000;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            unit = 1_000_000_000;
            number = t.substring(0, t.length() - 1);
        } else {
            unit = 0;
            number = t;
        }
        double value;
        try {
            value = Double.parseDouble(number.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a threshold: '" + text + "' (use e.g. 0, 500ns, 100us, 20ms)");
        }
        if (unit == 0 && value != 0) {
            throw new IllegalArgumentException("a threshold needs a unit (ns, us, ms, s): '" + text + "'");
        }
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("a threshold must be zero or positive, not '" + text + "'");
        }
        return Math.round(value * unit);
    }

    private static VirtioEvent event(String device, String kind) {
        VirtioEvent e = new VirtioEvent();
        e.device = device;
        e.kind = kind;
        return e;
    }

    /** Stops the recording and writes it to the file. */
    @Override
    public void close() throws IOException {
        recording.stop();
        recording.dump(file);
        recording.close();
    }
}
