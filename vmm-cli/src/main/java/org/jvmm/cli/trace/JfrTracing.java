package org.jvmm.cli.trace;

import java.io.IOException;
import java.nio.file.Path;
import jdk.jfr.Recording;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.vcpu.ExitListener;
import org.jvmm.devices.virtio.VirtioObserver;

/**
 * {@code --jfr FILE}: a JFR recording of jvmm's exit and device events, dumped when the run ends. Exit events are recorded only while the recording runs: the
 * listener checks {@code isEnabled()} first, which JIT-compiles to a constant check.
 */
public final class JfrTracing implements ExitListener, AutoCloseable {

    private final Recording recording;
    private final Path file;

    /**
     * Starts the recording.
     *
     * @param file where it is written at {@link #close()}
     */
    public JfrTracing(Path file) {
        this.file = file;
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
        if (reason == ExitReason.IO.code()) {
            PioExitEvent e = new PioExitEvent();
            if (e.isEnabled()) {
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
            if (e.isEnabled()) {
                e.vcpu = vcpu;
                e.address = run.mmioAddress();
                e.size = run.mmioLength();
                e.write = run.mmioIsWrite();
                e.handlingTime = nanos;
                e.commit();
            }
        } else {
            OtherExitEvent e = new OtherExitEvent();
            if (e.isEnabled()) {
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
