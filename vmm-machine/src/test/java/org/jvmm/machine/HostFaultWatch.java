package org.jvmm.machine;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;

/**
 * Watches a run for what a hostile guest must never cause on the host: a warning or error logged by
 * any of jvmm's loggers (devices log host faults, failed host I/O and dying threads at those
 * levels), and an exception that ends a thread. It also collects the virtio transports' debug
 * messages saying why a device set DEVICE_NEEDS_RESET, so a test can tell which rule fired.
 *
 * <p>jvmm logs through {@link System.Logger}, which the JDK routes to java.util.logging when that
 * module is present; {@link #start} proves the route works before anything relies on it.
 */
final class HostFaultWatch implements AutoCloseable {

    private static final String JVMM = "org.jvmm";

    // Strong references: java.util.logging forgets the level of a logger nobody holds.
    private final Logger jvmm = Logger.getLogger(JVMM);
    private final Logger transport = Logger.getLogger(VirtioMmioTransport.class.getName());
    private final Level transportLevel = transport.getLevel();
    private final Thread.UncaughtExceptionHandler previousHandler = Thread.getDefaultUncaughtExceptionHandler();
    private final List<String> faults = new ArrayList<>();
    private final List<String> resets = new ArrayList<>();
    private final Handler handler = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            String message = formatter.formatMessage(record);
            synchronized (faults) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    faults.add(record.getLevel() + " " + record.getLoggerName() + ": " + message
                            + (record.getThrown() == null ? "" : " (" + record.getThrown() + ")"));
                } else if (transport.getName().equals(record.getLoggerName()) && message.contains("needs reset")) {
                    resets.add(message);
                }
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    private HostFaultWatch() {}

    /**
     * Starts watching: a handler on jvmm's loggers, the virtio transport's debug messages on, and a
     * default handler for uncaught exceptions.
     *
     * @return the watch; close it to restore logging
     * @throws AssertionError if System.Logger output does not reach the handler
     */
    static HostFaultWatch start() {
        HostFaultWatch watch = new HostFaultWatch();
        watch.handler.setLevel(Level.ALL);
        watch.jvmm.addHandler(watch.handler);
        watch.transport.setLevel(Level.FINE);
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            synchronized (watch.faults) {
                watch.faults.add("thread " + t.getName() + " died: " + e);
            }
        });
        System.getLogger(JVMM + ".watch").log(System.Logger.Level.WARNING, "self-check");
        synchronized (watch.faults) {
            if (!watch.faults.remove("WARNING " + JVMM + ".watch: self-check")) {
                watch.close();
                throw new AssertionError("System.Logger output does not reach java.util.logging here, so host faults"
                        + " would go unseen; got " + watch.faults);
            }
        }
        return watch;
    }

    /** {@return the warnings, errors and thread deaths seen so far} */
    List<String> faults() {
        synchronized (faults) {
            return List.copyOf(faults);
        }
    }

    /** {@return why virtio devices asked for a reset, in order} */
    List<String> resets() {
        synchronized (faults) {
            return List.copyOf(resets);
        }
    }

    @Override
    public void close() {
        jvmm.removeHandler(handler);
        transport.setLevel(transportLevel);
        Thread.setDefaultUncaughtExceptionHandler(previousHandler);
    }
}
