package org.jvmm.core.testing;

import org.jvmm.core.kvm.Kvm;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The extension behind {@link RequiresKvm}. Opens {@code /dev/kvm} once per JVM. Usable: the test
 * runs. Not usable: the test is disabled with the reason, or, when {@code CI=true}, enabled and then
 * failed before it starts (an {@link ExecutionCondition} can only skip, not fail).
 */
public final class KvmAvailability implements ExecutionCondition, BeforeAllCallback, BeforeEachCallback {

    private static final String REASON = probe();
    private static volatile boolean announced;

    private static String probe() {
        try {
            Kvm.open().close();
            return null;
        } catch (RuntimeException | LinkageError e) {
            return "/dev/kvm is not usable (" + e.getMessage() + ")";
        }
    }

    /** {@return why KVM tests cannot run here, or null when they can} */
    public static String unavailableReason() {
        return REASON;
    }

    private static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (REASON == null) {
            return ConditionEvaluationResult.enabled("/dev/kvm is usable");
        }
        if (ci()) {
            return ConditionEvaluationResult.enabled("CI=true: will fail, " + REASON);
        }
        if (!announced) {
            announced = true;
            System.err.println("[jvmm] skipping KVM tests: " + REASON + "; run ./test.sh to use nested KVM");
        }
        return ConditionEvaluationResult.disabled("skipped: " + REASON);
    }

    private static void failInCi() {
        if (REASON != null && ci()) {
            throw new AssertionError("KVM test cannot run and CI=true forbids skipping it: " + REASON);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        failInCi();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        failInCi();
    }
}
