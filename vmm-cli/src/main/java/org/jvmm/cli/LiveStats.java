package org.jvmm.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.vcpu.Vcpu;

/** {@code --stats-interval}: one line per interval with the exits per second by reason, while the guest runs. */
final class LiveStats implements AutoCloseable {
    private final Thread thread;
    private volatile boolean running = true;

    LiveStats(List<Vcpu> vcpus, Duration interval, PrintStream out) {
        this.thread = Thread.ofPlatform().daemon(true).name("stats-interval").start(() -> {
            long[] previous = new long[0];
            long start = System.nanoTime();
            long last = start;
            while (running) {
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                long[] counts = ExitStatsSnapshot.merge(vcpus.stream().map(v -> v.dispatcher().stats().snapshot()).toList()).count();
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%8.1fs] exits/s:", (now - start) / 1e9));
                double seconds = (now - last) / 1e9;
                long total = 0;
                for (int r = 0; r < counts.length; r++) {
                    long delta = counts[r] - (r < previous.length ? previous[r] : 0);
                    total += delta;
                    if (delta > 0) {
                        line.append(String.format(Locale.ROOT, " %s %.0f", ExitReason.describe(r), delta / seconds));
                    }
                }
                line.append(String.format(Locale.ROOT, " | total %.0f", total / seconds));
                out.println(line);
                previous = counts;
                last = now;
            }
        });
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
