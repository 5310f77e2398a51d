package org.jvmm.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.vcpu.ExitDispatcher;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.core.vcpu.VcpuStop;
import org.jvmm.machine.MemoryMap;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The Java side of a real port-I/O exit, built up stage by stage: each stage runs the loop guest
 * ({@link BenchCommand#loopGuest}) in a VM of its own with a {@code KVM_RUN} loop that does a little
 * more than the stage before, so the difference between two stages is what the added work costs
 * after a real round trip through the kernel, which a loop without KVM cannot show (caches and TLB
 * are cold after the world switch, and under nested KVM every page and branch is emulated).
 *
 * <p>The first two stages call {@code ioctl(2)} through a downcall of their own: the floor that any
 * VMM written with the FFM API pays, without and with the errno capture that tells a kick (EINTR)
 * from a failure. jvmm's call captures nothing (a failure is taken for an interruption, and the call
 * after it captures errno), so its stages build on the first. The last two are jvmm's: {@link VcpuFd#run()} alone, then the whole
 * {@link Vcpu} loop with dispatch, the device and exit accounting, the {@code java} row of
 * {@code jvmm bench exit-roundtrip}.
 */
enum RoundTripStages {
    /** {@code ioctl(fd, KVM_RUN, 0)} through a bare downcall, the exit reason read from {@code kvm_run}. */
    DOWNCALL("ffm downcall of ioctl(2)"),
    /** The same with {@code Linker.Option.captureCallState("errno")}. */
    DOWNCALL_ERRNO("+ errno capture"),
    /** jvmm's run call: its KVM_RUN downcall, the failure check, exit decoding. */
    VCPU_FD_RUN("jvmm VcpuFd.run()"),
    /** jvmm's vCPU loop: {@code VcpuFd.run()}, dispatch through the bus, the device, accounting. */
    VCPU_LOOP("jvmm Vcpu loop");

    private static final long KVM_RUN = 0xae80;
    private static final long SINK_PORT = 0x10;

    private final String label;

    RoundTripStages(String label) {
        this.label = label;
    }

    /** {@return what the stage adds, for the report} */
    String label() {
        return label;
    }

    /** Downcalls made on first use, so that a run without {@code --stages} links none of them. */
    private static final class Ioctl {
        static final MethodHandle BARE;
        static final MethodHandle WITH_ERRNO;
        static final VarHandle ERRNO = Linker.Option.captureStateLayout().varHandle(MemoryLayout.PathElement.groupElement("errno"));

        static {
            Linker linker = Linker.nativeLinker();
            MemorySegment ioctl = linker.defaultLookup().find("ioctl").orElseThrow();
            FunctionDescriptor signature = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG);
            BARE = linker.downcallHandle(ioctl, signature, Linker.Option.firstVariadicArg(2));
            WITH_ERRNO = linker.downcallHandle(ioctl, signature, Linker.Option.firstVariadicArg(2),
                    Linker.Option.captureCallState("errno"));
        }
    }

    /**
     * Runs the loop guest for {@code exits} port writes under this stage's loop.
     *
     * @param exits port writes the guest makes before it halts
     * @return nanoseconds per exit
     */
    double nanosPerExit(int exits) {
        try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm()) {
            GuestRam ram = GuestRam.allocate(0x10000);
            vm.addRam(ram);
            ram.memory().write(MemoryMap.REAL_MODE_ENTRY, BenchCommand.loopGuest(exits));
            VcpuFd fd = vm.createVcpu(0);
            X86Setup.realMode(fd, 0, MemoryMap.REAL_MODE_ENTRY, MemoryMap.REAL_MODE_STACK);
            long start = System.nanoTime();
            long seen = switch (this) {
                case DOWNCALL -> bareLoop(fd);
                case DOWNCALL_ERRNO -> errnoLoop(fd);
                case VCPU_FD_RUN -> vcpuFdLoop(fd);
                case VCPU_LOOP -> vcpuLoop(fd);
            };
            long elapsed = System.nanoTime() - start;
            if (seen != exits) {
                throw new IllegalStateException("stage " + name().toLowerCase(Locale.ROOT) + ": the loop guest made " + seen + " exits, expected " + exits);
            }
            return (double) elapsed / exits;
        }
    }

    // Each loop calls a method per exit, as the Vcpu loop calls Vcpu.step: a loop that ran once per
    // VM would stay interpreted until on-stack replacement, tens of thousands of exits in.

    private static long bareLoop(VcpuFd fd) {
        KvmRun run = fd.kvmRun();
        int vcpu = fd.fd();
        long seen = 0;
        ExitReason reason;
        while ((reason = bareRun(vcpu, run)) == ExitReason.IO) {
            seen++;
        }
        return reason == ExitReason.HLT ? seen : -1;
    }

    private static ExitReason bareRun(int vcpu, KvmRun run) {
        int result;
        try {
            result = (int) Ioctl.BARE.invokeExact(vcpu, KVM_RUN, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (result != 0) {
            throw new IllegalStateException("KVM_RUN returned " + result);
        }
        return run.exitReason();
    }

    private static long errnoLoop(VcpuFd fd) {
        KvmRun run = fd.kvmRun();
        int vcpu = fd.fd();
        MemorySegment errno = Arena.ofAuto().allocate(Linker.Option.captureStateLayout());
        long seen = 0;
        ExitReason reason;
        while ((reason = errnoRun(errno, vcpu, run)) == ExitReason.IO) {
            seen++;
        }
        return reason == ExitReason.HLT ? seen : -1;
    }

    private static ExitReason errnoRun(MemorySegment errno, int vcpu, KvmRun run) {
        int result;
        try {
            result = (int) Ioctl.WITH_ERRNO.invokeExact(errno, vcpu, KVM_RUN, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (result != 0) {
            throw new IllegalStateException("KVM_RUN returned " + result + ", errno " + (int) Ioctl.ERRNO.get(errno, 0L));
        }
        return run.exitReason();
    }

    private static long vcpuFdLoop(VcpuFd fd) {
        long seen = 0;
        ExitReason reason;
        while ((reason = fd.run()) == ExitReason.IO) {
            seen++;
        }
        return reason == ExitReason.HLT ? seen : -1;
    }

    private static long vcpuLoop(VcpuFd fd) {
        Bus pio = new Bus("pio");
        long[] sink = new long[1];
        pio.register("sink", new AddressRange(SINK_PORT, 1), new BusDevice() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                sink[0] += value;
            }
        });
        ExitStats stats = new ExitStats(0, 0);
        Vcpu vcpu = new Vcpu(fd, new ExitDispatcher(pio, new Bus("mmio"), stats));
        VcpuStop stop = vcpu.runOnCurrentThread();
        vcpu.close();
        return stop.reason() == ExitReason.HLT ? stats.snapshot().exits(ExitReason.IO.code()) : -1;
    }
}
