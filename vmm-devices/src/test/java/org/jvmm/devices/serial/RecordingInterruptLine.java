package org.jvmm.devices.serial;

import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.irq.InterruptLine;

/** An interrupt line that remembers its level and every call. */
final class RecordingInterruptLine implements InterruptLine {
    final List<String> events = new ArrayList<>();
    boolean high;
    int raises;

    @Override
    public synchronized void raise() {
        events.add("raise");
        high = true;
        raises++;
    }

    @Override
    public synchronized void lower() {
        events.add("lower");
        high = false;
    }

    synchronized List<String> take() {
        List<String> copy = List.copyOf(events);
        events.clear();
        return copy;
    }
}
