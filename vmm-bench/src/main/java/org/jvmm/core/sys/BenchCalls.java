package org.jvmm.core.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import org.jvmm.bench.CReference;

/**
 * Downcalls of vmm-bench shaped exactly like {@link Libc}'s, for the Java side of benchmarks that
 * compare with C: this class sits in vmm-core's {@code sys} package on the benchmarks jar's class
 * path, beside the calls it mirrors.
 */
public final class BenchCalls {

    /** int jvmm_bench_run_noop(int fd, unsigned long request, ...): returns 0 at once; shaped like Libc's KVM_RUN downcall. */
    private static final MethodHandle NOOP = Linker.nativeLinker().downcallHandle(CReference.symbol("jvmm_bench_run_noop"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));

    private BenchCalls() {}

    /**
     * The no-op C call, through a downcall like {@link Libc#ioctlWithoutErrno(int, long, long)}.
     *
     * @param fd      passed along
     * @param request passed along
     * @param arg     passed along
     * @return 0
     */
    public static int noop(int fd, long request, long arg) {
        try {
            return (int) NOOP.invokeExact(fd, request, arg);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
