package org.jvmm.machine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * What a machine owns, closed in the reverse order of acquisition: threads before the devices they
 * drive, devices before the memory and fds they use. A failure to close one is logged and does not
 * stop the others.
 */
final class Resources implements AutoCloseable {

    private final List<AutoCloseable> owned = new ArrayList<>();

    /**
     * Takes ownership.
     *
     * @param resource what to close with the machine
     * @param <T>      its type
     * @return {@code resource}
     */
    public synchronized <T extends AutoCloseable> T add(T resource) {
        owned.add(resource);
        return resource;
    }

    /** Closes everything, newest first; closing again does nothing. */
    @Override
    public synchronized void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                Log.LOG.log(Level.WARNING, "closing " + owned.get(i) + " failed", e);
            }
        }
        owned.clear();
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final Logger LOG = System.getLogger(Resources.class.getName());
    }
}
