package org.jvmm.core.irq;

/**
 * The wire a device raises to interrupt the guest. Devices know only this interface; the machine
 * builder decides whether it is KVM's IRQ line, an irqfd, or nothing at all (a polling guest).
 */
public interface InterruptLine {

    /** A line that goes nowhere, for guests that poll. */
    InterruptLine NONE = new InterruptLine() {
        @Override
        public void raise() {}

        @Override
        public void lower() {}

        @Override
        public String toString() {
            return "none";
        }
    };

    /** Asserts the line. For an edge-triggered sink this delivers one interrupt. */
    void raise();

    /** De-asserts the line. A no-op for edge-triggered sinks such as an irqfd. */
    void lower();

    /** Delivers one edge: raise, then lower. */
    default void pulse() {
        raise();
        lower();
    }
}
