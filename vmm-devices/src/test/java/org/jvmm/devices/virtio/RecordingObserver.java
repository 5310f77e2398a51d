package org.jvmm.devices.virtio;

import java.util.ArrayList;
import java.util.List;

/** An observer that records what it is told. */
public final class RecordingObserver implements VirtioObserver {
    public RecordingObserver() {}

    public final List<Integer> notified = new ArrayList<>();
    public final List<Integer> interrupts = new ArrayList<>();
    public final List<long[]> chains = new ArrayList<>();
    public final List<String> errors = new ArrayList<>();

    @Override
    public void queueNotified(int queue) {
        notified.add(queue);
    }

    @Override
    public void interruptRaised(int interruptStatus) {
        interrupts.add(interruptStatus);
    }

    @Override
    public void chainProcessed(int queue, long bytes) {
        chains.add(new long[] {queue, bytes});
    }

    @Override
    public void deviceError(String message) {
        errors.add(message);
    }
}
