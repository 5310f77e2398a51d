package org.jvmm.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The C side of the benchmarks ({@code src/main/c/kvm_bench.c} for the KVM ones,
 * {@code exit_cost.c} for {@link ExitCostBenchmark}), which Maven compiles into the jar as
 * {@code native/libjvmmbench.so}. Each benchmark method makes one downcall per JMH
 * invocation, so JMH times the C loop with the same harness and output as the Java one.
 * Loaded on first use, so the Java benchmarks never depend on it.
 */
public final class CReference {

    private static final String LIBRARY = "/native/libjvmmbench.so";
    /** Matches JVMM_BENCH_BAD_EXIT in the C source. */
    private static final long BAD_EXIT = -0x10000L;

    private static final SymbolLookup LOOKUP = load();
    private static final Linker LINKER = Linker.nativeLinker();

    /** long jvmm_bench_loop(int vcpu, struct kvm_run *run, long exits, int pio_base, u64 mmio_base, int vector). */
    private static final MethodHandle LOOP = LINKER.downcallHandle(symbol("jvmm_bench_loop"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));

    /** long jvmm_bench_lifecycle(int kvm, int run_size, u64 ram_size, u8 *code, u64 code_size, u64 entry, u64 stack). */
    private static final MethodHandle LIFECYCLE = LINKER.downcallHandle(symbol("jvmm_bench_lifecycle"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG));

    /** struct exit_machine *jvmm_bench_exit_machine(const u8 *avail_idx). */
    private static final MethodHandle EXIT_MACHINE = LINKER.downcallHandle(symbol("jvmm_bench_exit_machine"),
            FunctionDescriptor.of(ADDRESS, ADDRESS));

    /** void jvmm_bench_exit_machine_free(struct exit_machine *). */
    private static final MethodHandle EXIT_MACHINE_FREE = LINKER.downcallHandle(symbol("jvmm_bench_exit_machine_free"),
            FunctionDescriptor.ofVoid(ADDRESS));

    /** long jvmm_bench_exit_loop(struct exit_machine *, int noop, int fd, unsigned long request, struct kvm_run *, long exits). */
    private static final MethodHandle EXIT_LOOP = LINKER.downcallHandle(symbol("jvmm_bench_exit_loop"),
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));

    /** long jvmm_bench_call_loop(int noop, int fd, unsigned long request, long calls). */
    private static final MethodHandle CALL_LOOP = LINKER.downcallHandle(symbol("jvmm_bench_call_loop"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));

    /** u64 jvmm_bench_exit_machine_checksum(const struct exit_machine *). */
    private static final MethodHandle EXIT_CHECKSUM = LINKER.downcallHandle(symbol("jvmm_bench_exit_machine_checksum"),
            FunctionDescriptor.of(JAVA_LONG, ADDRESS));

    private CReference() {}

    /**
     * A symbol of the benchmarks' C library.
     *
     * @param name the symbol
     * @return its address
     */
    public static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " has no " + name));
    }

    /** dlopen needs a file: copy the library out of the jar, load it, and delete the copy. */
    private static SymbolLookup load() {
        try (InputStream in = CReference.class.getResourceAsStream(LIBRARY)) {
            if (in == null) {
                throw new IllegalStateException(LIBRARY + " is not in the benchmarks jar: rebuild vmm-bench (it needs gcc)");
            }
            Path copy = Files.createTempFile("jvmm-bench", ".so");
            try {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
                return SymbolLookup.libraryLookup(copy, Arena.global());
            } finally {
                Files.delete(copy);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + LIBRARY, e);
        }
    }

    /**
     * The C run loop: {@code exits} times KVM_RUN, read the exit reason, dispatch to a device that
     * sums what it is written (port {@code pioBase}, or 4 KiB of MMIO at {@code mmioBase}), and
     * answer an HLT with KVM_INTERRUPT({@code vector}).
     *
     * @return the sum the devices saw
     */
    static long loop(int vcpuFd, MemorySegment kvmRun, long exits, int pioBase, long mmioBase, int vector) {
        long result;
        try {
            result = (long) LOOP.invokeExact(vcpuFd, kvmRun, exits, pioBase, mmioBase, vector);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return check(result, "jvmm_bench_loop");
    }

    /**
     * One VM lifetime in C: create the VM, map {@code ramSize} bytes with {@code code} at
     * {@code entry}, one real-mode vCPU, run it to HLT, close and unmap everything.
     */
    static void lifecycle(int kvmFd, int runSize, long ramSize, MemorySegment code, long entry, long stack) {
        long result;
        try {
            result = (long) LIFECYCLE.invokeExact(kvmFd, runSize, ramSize, code, code.byteSize(), entry, stack);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        check(result, "jvmm_bench_lifecycle");
    }

    /**
     * The C machine of {@link ExitCostBenchmark}: a UART and a byte sink on the port bus, a
     * virtio-mmio transport on the MMIO bus whose queue 0 has its avail index at {@code availIdx}.
     */
    static MemorySegment exitMachine(MemorySegment availIdx) {
        MemorySegment machine;
        try {
            machine = (MemorySegment) EXIT_MACHINE.invokeExact(availIdx);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (machine.address() == 0) {
            throw new IllegalStateException("jvmm_bench_exit_machine: out of memory");
        }
        return machine;
    }

    static void freeExitMachine(MemorySegment machine) {
        try {
            EXIT_MACHINE_FREE.invokeExact(machine);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The C vCPU loop: {@code exits} times the run call in place of KVM_RUN ({@code ioctl(fd,
     * request, 0)}, or with {@code noop} the C function {@code jvmm_bench_run_noop}), then the exit
     * {@code kvmRun} describes, dispatched and counted.
     *
     * @return the number of exits that stop a vCPU
     */
    static long exitLoop(MemorySegment machine, boolean noop, int fd, long request, MemorySegment kvmRun, long exits) {
        long result;
        try {
            result = (long) EXIT_LOOP.invokeExact(machine, noop ? 1 : 0, fd, request, kvmRun, exits);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return check(result, "jvmm_bench_exit_loop");
    }

    /** {@code calls} times the run call alone in C: {@code ioctl(fd, request, 0)}, or the no-op. */
    static void callLoop(boolean noop, int fd, long request, long calls) {
        long result;
        try {
            result = (long) CALL_LOOP.invokeExact(noop ? 1 : 0, fd, request, calls);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        check(result, "jvmm_bench_call_loop");
    }

    /** What the C devices saw, so nothing can be dropped. */
    static long exitChecksum(MemorySegment machine) {
        try {
            return (long) EXIT_CHECKSUM.invokeExact(machine);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static long check(long result, String function) {
        if (result >= 0) {
            return result;
        }
        if (result <= BAD_EXIT) {
            throw new IllegalStateException(function + ": unexpected exit reason " + (BAD_EXIT - result));
        }
        throw new IllegalStateException(function + ": a KVM call failed with errno " + -result);
    }
}
