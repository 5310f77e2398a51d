package org.jvmm.devices.disk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Assumptions;

/**
 * Counts the {@code fsync}s ({@code FileChannel.force}) of one file while an action runs, from the
 * JDK's own {@code jdk.FileForce} flight-recorder events (JDK 25 and newer): how a test sees that a
 * flush reached the file system without a hook in the code under test.
 */
public final class ForceEvents {

    /** An action that may throw. */
    @FunctionalInterface
    public interface Action {
        /**
         * Runs it.
         *
         * @throws Exception anything
         */
        void run() throws Exception;
    }

    private ForceEvents() {}

    /**
     * Runs {@code action} under a flight recording and counts the forces of {@code file}.
     *
     * @param file   the file, compared by its real path
     * @param action what to run
     * @return how many times the file was forced while it ran
     * @throws Exception what the action threw, or a recording failure
     */
    public static int count(Path file, Action action) throws Exception {
        Assumptions.assumeTrue(FlightRecorder.getFlightRecorder().getEventTypes().stream()
                .anyMatch(t -> t.getName().equals("jdk.FileForce")), "jdk.FileForce needs JDK 25 or newer");
        String wanted = file.toRealPath().toString();
        Path dump = Files.createTempFile("jvmm-force", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.FileForce").withThreshold(Duration.ZERO).withoutStackTrace();
            recording.start();
            action.run();
            recording.stop();
            recording.dump(dump);
            int forces = 0;
            for (RecordedEvent e : RecordingFile.readAllEvents(dump)) {
                if (e.getEventType().getName().equals("jdk.FileForce") && wanted.equals(realPath(e.getString("path")))) {
                    forces++;
                }
            }
            return forces;
        } finally {
            Files.deleteIfExists(dump);
        }
    }

    private static String realPath(String path) {
        try {
            return Path.of(path).toRealPath().toString();
        } catch (IOException e) {
            return path;
        }
    }
}
