package org.jvmm.core.stats;

import java.util.List;
import java.util.Optional;

/**
 * A run's exits per phase, as the guest marked them ({@link PhaseAccounting}).
 *
 * @param phases       the part before the first mark, then each marked phase in number order; empty
 *                     when the guest never marked a valid phase
 * @param droppedMarks marks of numbers outside 0 to {@link PhaseAccounting#MAX_PHASES} - 1, ignored
 */
public record PhaseReport(List<Phase> phases, long droppedMarks) {

    /** The report of a run whose guest wrote no mark. */
    public static final PhaseReport NONE = new PhaseReport(List.of(), 0);

    /**
     * Copies the list.
     *
     * @param phases       phases
     * @param droppedMarks dropped marks
     */
    public PhaseReport {
        phases = List.copyOf(phases);
    }

    /** {@return whether the guest wrote any mark, valid or dropped} */
    public boolean marked() {
        return !phases.isEmpty() || droppedMarks > 0;
    }

    /**
     * One phase.
     *
     * @param number the phase number, or {@link Phase#BEFORE_FIRST_MARK}
     * @return the phase, if the guest marked it
     */
    public Optional<Phase> phase(int number) {
        return phases.stream().filter(p -> p.number() == number).findFirst();
    }
}
