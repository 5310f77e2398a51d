package org.jvmm.machine;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jvmm.core.bus.BusDevice;

/**
 * The boot-time marker: the guest's first write here reports the time since the VMM process started
 * ("boot-time: N ms"); later writes are counted, not reported, so a guest writing in a loop costs a
 * counter increment each. Reads return 0.
 */
final class BootTimer implements BusDevice {
    private final Instant processStart = ProcessHandle.current().info().startInstant().orElse(Instant.now());
    private final Consumer<String> events;
    private final AtomicLong writes = new AtomicLong();

    BootTimer(Consumer<String> events) {
        this.events = events;
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        if (writes.getAndIncrement() == 0) {
            events.accept("boot-time: " + Duration.between(processStart, Instant.now()).toMillis() + " ms");
        }
    }

    /** {@return how many times the guest wrote the marker} */
    long writes() {
        return writes.get();
    }

    @Override
    public String toString() {
        return "boot-timer";
    }
}
