package org.jvmm.core.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import org.jvmm.bench.CReference;

/**
 * Downcalls of vmm-bench shaped exactly like {@link Libc}'s, for the Java side of benchmarks that
 * compare with C: this class sits in vmm-core's {@code sys} package on the benchmarks jar's class
 * path so that it can hand {@link CallState}'s capture segment to the call as {@link Libc} does.
 */
public final class BenchCalls {

    /** long jvmm_bench_run_noop(long number, ...): returns 0 at once; shaped like Libc's syscall downcall. */
    private static final MethodHandle NOOP = Linker.nativeLinker().downcallHandle(CReference.symbol("jvmm_bench_run_noop"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));
    /** x86-64's ioctl system call number, passed as {@link Libc#ioctl(CallState, int, long, long)} passes it. */
    private static final long SYS_IOCTL = 16;

    private BenchCalls() {}

    /**
     * The no-op C call, through a downcall like {@link Libc#ioctl(CallState, int, long, long)}.
     *
     * @param state   errno capture of the calling thread
     * @param fd      passed along
     * @param request passed along
     * @param arg     passed along
     * @return 0
     */
    public static int noop(CallState state, int fd, long request, long arg) {
        try {
            return (int) (long) NOOP.invokeExact(state.segment(), SYS_IOCTL, (long) fd, request, arg, 0L, 0L, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
