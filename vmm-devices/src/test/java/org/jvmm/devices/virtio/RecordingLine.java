package org.jvmm.devices.virtio;

import org.jvmm.core.irq.InterruptLine;

/** An interrupt line that remembers its level and counts raises. */
public final class RecordingLine implements InterruptLine {
    public RecordingLine() {}

    public boolean level;
    public int raises;

    @Override
    public void raise() {
        level = true;
        raises++;
    }

    @Override
    public void lower() {
        level = false;
    }
}
