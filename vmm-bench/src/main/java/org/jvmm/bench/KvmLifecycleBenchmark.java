package org.jvmm.bench;

import org.jvmm.machine.MemoryMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.kvm.Capability;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestRam;
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
 * A whole VM lifetime: KVM_CREATE_VM, 64 KiB of RAM mapped into it, one vCPU set to real mode,
 * KVM_RUN until the guest's only instruction ({@code hlt}) exits, then everything closed and
 * unmapped. {@code runToHlt} does it through vmm-core ({@link VmFd}, {@link GuestRam},
 * {@link X86Setup}); {@code cRunToHlt}, its baseline, does the same ioctls from C
 * ({@code src/main/c/kvm_bench.c}). Both reuse one {@code /dev/kvm} fd, as a VMM process would.
 * This is not the exit path: the Java side allocates (arenas, register records) and JMH's
 * {@code -prof gc} shows how much.
 *
 * <p>Also here: {@code KVM_CHECK_EXTENSION} on the real {@code /dev/kvm} fd through the sys layer
 * with errno capture, the cheapest KVM ioctl (FfmCallBenchmark measures the same downcall shapes
 * without KVM).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class KvmLifecycleBenchmark {

    static final long RAM_SIZE = 0x10000;
    static final long ENTRY = MemoryMap.REAL_MODE_ENTRY;
    static final long STACK = MemoryMap.REAL_MODE_STACK;
    static final byte[] HLT = {(byte) 0xf4};

    private Kvm kvm;
    private Arena arena;
    private MemorySegment cCode;

    @Setup(Level.Trial)
    public void setup() {
        kvm = KvmRoundTripBenchmark.openKvm("KvmLifecycleBenchmark");
        arena = Arena.ofConfined();
        cCode = arena.allocateFrom(ValueLayout.JAVA_BYTE, HLT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (kvm != null) {
            kvm.close();
        }
        if (arena != null) {
            arena.close();
        }
    }

    /** KVM_CHECK_EXTENSION through the sys layer with errno capture. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public int checkExtension() {
        return kvm.checkExtension(Capability.values()[0]);
    }

    /** Create, map, set up, run to HLT and close, through vmm-core. */
    @Benchmark
    public void runToHlt() {
        try (VmFd vm = kvm.createVm()) {
            GuestRam ram = GuestRam.allocate(RAM_SIZE);
            try {
                vm.addRam(ram);
            } catch (RuntimeException e) {
                ram.close();
                throw e;
            }
            ram.memory().write(ENTRY, HLT);
            VcpuFd vcpu = vm.createVcpu(0);
            X86Setup.realMode(vcpu, 0, ENTRY, STACK);
            ExitReason reason;
            do {
                reason = vcpu.run();
            } while (reason == ExitReason.INTR);
            if (reason != ExitReason.HLT) {
                throw new IllegalStateException("the guest stopped with " + reason + ", expected HLT");
            }
        }
    }

    /** Baseline: the same in C. */
    @Benchmark
    public void cRunToHlt() {
        CReference.lifecycle(kvm.fd(), kvm.vcpuMmapSize(), RAM_SIZE, cCode, ENTRY, STACK);
    }
}
