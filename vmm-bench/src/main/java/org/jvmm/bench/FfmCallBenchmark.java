package org.jvmm.bench;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one cheap ioctl downcall: through the project's sys layer with errno capture
 * ({@link Libc#ioctl(CallState, int, long, long)}, which makes every system call through glibc's
 * {@code syscall}), and raw {@code ioctl} downcalls built here ({@code raw*}, the baselines;
 * results_md.py pairs {@code rawX} with {@code x}).
 * The call is {@code ioctl(-1, 0, 0)}, which the kernel fails at once with EBADF: it needs no
 * {@code /dev/kvm} and is about as cheap as {@code KVM_CHECK_EXTENSION} (a syscall that does
 * almost nothing). On a KVM host the same shape with the /dev/kvm fd would be the issue's
 * KVM_CHECK_EXTENSION figure.
 *
 * <p>{@code org.jvmm.core.sys} is not exported from the {@code org.jvmm.core} module. The shaded
 * benchmarks jar runs on the class path, where module boundaries do not apply (every class is in
 * the unnamed module), so the benchmark can call it; it would not compile against the module path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class FfmCallBenchmark {

    static final int BAD_FD = -1;
    static final int EBADF = 9;

    static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    static final MethodHandle RAW_IOCTL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    static final MethodHandle RAW_IOCTL_ERRNO = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO, Linker.Option.firstVariadicArg(2));
    static final MethodHandle RAW_IOCTL_CRITICAL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(2), Linker.Option.critical(false));

    private Arena arena;
    private CallState state;
    private MemorySegment rawState;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofConfined();
        state = new CallState(arena);
        rawState = arena.allocate(Linker.Option.captureStateLayout());
        int result = Libc.ioctl(state, BAD_FD, 0, 0);
        if (result != -1 || state.errno() != EBADF) {
            throw new IllegalStateException("ioctl(-1, 0, 0) should fail with EBADF, got " + result + " errno " + state.errno());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** The sys layer with errno capture, as the KVM wrappers call it; reads errno as a check would. */
    @Benchmark
    public int ioctlErrno() {
        int result = Libc.ioctl(state, BAD_FD, 0, 0);
        return result == -1 ? state.errno() : result;
    }

    /** Baseline: the raw downcall handle with errno capture, no wrapper. */
    @Benchmark
    public int rawIoctlErrno() throws Throwable {
        return (int) RAW_IOCTL_ERRNO.invokeExact(rawState, BAD_FD, 0L, 0L);
    }

    /** Baseline: the raw downcall handle, no capture, no wrapper. */
    @Benchmark
    public int rawIoctlNoErrno() throws Throwable {
        return (int) RAW_IOCTL.invokeExact(BAD_FD, 0L, 0L);
    }

    /** Lower bound: a critical downcall (no thread state transition); not safe for a blocking KVM_RUN. */
    @Benchmark
    public int criticalIoctlNoErrno() throws Throwable {
        return (int) RAW_IOCTL_CRITICAL.invokeExact(BAD_FD, 0L, 0L);
    }
}
