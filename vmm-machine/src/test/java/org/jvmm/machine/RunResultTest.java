package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exit status a run maps to, for every kind of stop, and what a host fault does to it. */
class RunResultTest {

    private static RunResult result(StopCause cause, long hostFaults) {
        return new RunResult(cause, List.of(), List.of(), Map.of(), 0, new long[0], List.of(), hostFaults);
    }

    @Test
    void eachStopMapsToItsStatus() {
        assertEquals(7, result(new StopCause(StopCause.Kind.GUEST_EXIT, "debug exit, status 7", 7), 0).exitStatus());
        for (StopCause.Kind clean : List.of(StopCause.Kind.POWER_OFF, StopCause.Kind.RESET, StopCause.Kind.HALT,
                StopCause.Kind.REQUESTED)) {
            RunResult r = result(StopCause.of(clean, "x"), 0);
            assertEquals(0, r.exitStatus(), clean.name());
            assertFalse(r.error(), clean.name());
        }
        for (StopCause.Kind error : List.of(StopCause.Kind.VCPU_ERROR, StopCause.Kind.TIMEOUT)) {
            RunResult r = result(StopCause.of(error, "x"), 0);
            assertEquals(RunResult.ERROR_STATUS, r.exitStatus(), error.name());
            assertTrue(r.error(), error.name());
        }
    }

    @Test
    void aHostFaultOverridesWhateverTheGuestDid() {
        assertEquals(RunResult.HOST_FAULT_STATUS, result(new StopCause(StopCause.Kind.GUEST_EXIT, "pass", 1), 1).exitStatus());
        assertEquals(RunResult.HOST_FAULT_STATUS, result(StopCause.of(StopCause.Kind.POWER_OFF, "off"), 3).exitStatus());
        assertTrue(result(StopCause.of(StopCause.Kind.POWER_OFF, "off"), 3).error());
        assertEquals(0, RunResult.HOST_FAULT_STATUS & 1, "even: no debug-exit status is even");
    }
}
