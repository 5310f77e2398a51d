package org.jvmm.core.stats;

import java.util.List;

/**
 * Named cumulative counters that can be read into a caller's array without allocating: KVM's
 * binary stats ({@link KvmCounters}), or a fake in tests. {@link PhaseAccounting} reads one at every
 * phase mark.
 */
public interface CounterSource {

    /** A source with no counters (a host without KVM's binary stats fd). */
    CounterSource NONE = new CounterSource() {
        @Override
        public List<String> names() {
            return List.of();
        }

        @Override
        public void read(long[] into) {}
    };

    /** {@return the counters' names, in the order {@link #read} fills them} */
    List<String> names();

    /**
     * Reads every counter now.
     *
     * @param into one slot per name, in {@link #names()} order
     */
    void read(long[] into);
}
