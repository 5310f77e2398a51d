package org.jvmm.bench;

import org.jvmm.machine.MemoryMap;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.EventFd;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.vcpu.ExitDispatcher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Exit round trips with a real KVM: a real-mode guest loops forever making one kind of exit, and
 * each benchmark runs a fixed number of them. The Java methods run the body of jvmm's vCPU loop
 * ({@link VcpuFd#run()}, a timestamp, {@link ExitDispatcher#dispatch} to a device on the bus), as
 * {@code Vcpu} does, minus its pause and stop checks; the {@code c*} methods (the baselines, paired
 * by results_md.py) run the same guest on the same kind of VM with the C loop of
 * {@code src/main/c/kvm_bench.c}: KVM_RUN, read the exit reason, dispatch to a device, run again.
 * One score is the time of one exit, from one KVM_RUN to the next.
 *
 * <ul>
 *   <li>{@code pio}: {@code out 0x10, al} to a device on the port bus.
 *   <li>{@code mmio}: a byte write to guest-physical 0x10000, above the 64 KiB of RAM, to a device
 *       on the MMIO bus (KVM decodes the instruction, so it costs more than a port).
 *   <li>{@code ioeventfd}: {@code out 0x30, al} with a KVM_IOEVENTFD on port 0x30: KVM signals an
 *       eventfd and resumes the guest without leaving the kernel. The guest makes 100 such writes,
 *       then one exit to port 0x10 so the loop can count; the score is per absorbed write and
 *       carries 1/100 of an exit.
 *   <li>{@code hltInterrupt}: {@code sti; hlt}; the HLT exits to user space (no in-kernel irqchip),
 *       which injects vector 0x20 with KVM_INTERRUPT; the guest wakes in its handler (which counts
 *       in guest memory and returns) and halts again. The in-kernel irqchip would keep HLT inside
 *       KVM, so this is the variant that shows an exit and an injection.
 * </ul>
 *
 * <p>The Java methods take {@code stats}: exit accounting on (jvmm's default) or off. Every setup
 * checks the guest once before timing: the first exit is the expected one (a write that should be
 * absorbed by the ioeventfd would show up as an exit to port 0x30), the eventfd counted its
 * writes, the interrupt handler ran.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class KvmRoundTripBenchmark {

    /** Exits per JMH invocation: one downcall into C per invocation, spread over this many exits. */
    static final int EXITS = 100;
    /** ioeventfd: absorbed writes per exit, and exits per invocation. */
    static final int WRITES_PER_EXIT = 100;
    static final int IOEVENTFD_EXITS = 10;

    static final long RAM_SIZE = 0x10000;
    static final long ENTRY = MemoryMap.REAL_MODE_ENTRY;
    static final long STACK = MemoryMap.REAL_MODE_STACK;
    static final int DEVICE_PORT = 0x10;
    static final int IOEVENTFD_PORT = 0x30;
    static final long MMIO_BASE = 0x10000;
    static final long MMIO_SIZE = 0x1000;
    static final int VECTOR = 0x20;
    static final long HANDLER = 0x7d00;
    static final long HANDLER_COUNT = 0x500;

    /** Opens /dev/kvm, or says that this host has none (JMH then reports the benchmark as failed). */
    static Kvm openKvm(String benchmark) {
        if (!Files.exists(Kvm.DEFAULT_PATH)) {
            throw new IllegalStateException(benchmark + " needs " + Kvm.DEFAULT_PATH
                    + ", which this host does not have (vmm-bench/run.sh runs it in nested KVM)");
        }
        return Kvm.open();
    }

    /** A device that adds up what the guest writes, so the work cannot be optimised away. */
    static final class Sum implements BusDevice {
        long sum;

        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
            sum += value;
        }
    }

    /** Exit accounting for the Java loop; the C loop has none. */
    @State(Scope.Thread)
    public static class Accounting {
        @Param({"true", "false"})
        public boolean stats;
    }

    /**
     * A VM with 64 KiB of RAM at 0, a summing device at port 0x10 and at MMIO 0x10000, and one
     * real-mode vCPU at 0x7c00 running {@link #code()}, which must loop forever.
     */
    @State(Scope.Thread)
    public abstract static class Guest {
        Kvm kvm;
        VmFd vm;
        VcpuFd vcpu;
        KvmRun run;
        ExitDispatcher dispatcher;
        final Sum port = new Sum();
        final Sum mmio = new Sum();

        abstract byte[] code();

        /** Extra wiring before the vCPU runs (memory contents, ioeventfds). */
        void prepare(VmFd vm, GuestMemory memory) {}

        /** Runs the guest to its first exit through the Java path and checks it. */
        abstract void check();

        /** The interrupt vector that answers an HLT, or -1 when an HLT is an error. */
        int vector() {
            return -1;
        }

        @Setup(Level.Trial)
        public void setup() {
            kvm = openKvm(getClass().getSimpleName());
            vm = kvm.createVm();
            GuestRam ram = GuestRam.allocate(RAM_SIZE);
            vm.addRam(ram);
            ram.memory().write(ENTRY, code());
            prepare(vm, ram.memory());
            vcpu = vm.createVcpu(0);
            X86Setup.realMode(vcpu, 0, ENTRY, STACK);
            run = vcpu.kvmRun();
            Bus pio = new Bus("pio");
            pio.register("sum", new AddressRange(DEVICE_PORT, 1), port);
            Bus mmioBus = new Bus("mmio");
            mmioBus.register("sum", new AddressRange(MMIO_BASE, MMIO_SIZE), mmio);
            dispatcher = new ExitDispatcher(pio, mmioBus, new ExitStats(0, 1));
            check();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (vm != null) {
                vm.close();
            }
            if (kvm != null) {
                kvm.close();
            }
        }

        /** One KVM_RUN through the Java path, for the checks; returns the exit. */
        ExitReason step() {
            ExitReason reason = vcpu.run();
            dispatcher.dispatch(run, dispatcher.exitClock(run));
            return reason;
        }

        void expect(boolean condition, String what) {
            if (!condition) {
                throw new IllegalStateException(getClass().getSimpleName() + ": " + what + " (exit "
                        + ExitReason.describe(run.exitReasonCode()) + ")");
            }
        }

        /**
         * The Java loop: {@code exits} times what {@code Vcpu} does per exit. An exit the
         * dispatcher cannot handle is an HLT to answer with an interrupt, or an error.
         */
        long java(Accounting accounting, int exits) {
            dispatcher.stats().setEnabled(accounting.stats);
            int vector = vector();
            int handled = 0;
            while (handled < exits) {
                ExitReason reason = vcpu.run();
                long exitNanos = dispatcher.exitClock(run);
                if (reason == ExitReason.INTR) {
                    continue; // a signal, not an exit: the C loop does not count it either
                }
                if (dispatcher.dispatch(run, exitNanos) == ExitDispatcher.STOP) {
                    if (reason != ExitReason.HLT || vector < 0 || !run.readyForInterruptInjection()) {
                        throw new IllegalStateException("guest stopped: " + ExitReason.describe(run.exitReasonCode()));
                    }
                    vcpu.interrupt(vector);
                }
                handled++;
            }
            return port.sum + mmio.sum;
        }

        /** The C loop on the same vCPU. */
        long c(int exits) {
            return CReference.loop(vcpu.fd(), run.segment(), exits, DEVICE_PORT, MMIO_BASE, vector());
        }
    }

    /** {@code l: out 0x10, al; jmp l}. */
    @State(Scope.Thread)
    public static class PioGuest extends Guest {
        @Override
        byte[] code() {
            return new byte[] {(byte) 0xe6, DEVICE_PORT, (byte) 0xeb, (byte) 0xfc};
        }

        @Override
        void check() {
            expect(step() == ExitReason.IO && run.ioPort() == DEVICE_PORT, "expected out 0x10");
        }
    }

    /** {@code mov ax, 0x1000; mov ds, ax; l: mov [0], al; jmp l}: writes to 0x10000, past RAM. */
    @State(Scope.Thread)
    public static class MmioGuest extends Guest {
        @Override
        byte[] code() {
            return new byte[] {
                (byte) 0xb8, 0x00, 0x10,            // mov ax, 0x1000
                (byte) 0x8e, (byte) 0xd8,           // mov ds, ax
                (byte) 0xa2, 0x00, 0x00,            // l: mov [0], al
                (byte) 0xeb, (byte) 0xfb,           // jmp l
            };
        }

        @Override
        void check() {
            expect(step() == ExitReason.MMIO && run.mmioAddress() == MMIO_BASE && run.mmioIsWrite(),
                    "expected a write to MMIO 0x10000");
        }
    }

    /** {@code l: mov cx, 100; w: out 0x30, al; loop w; out 0x10, al; jmp l}, port 0x30 an ioeventfd. */
    @State(Scope.Thread)
    public static class IoEventFdGuest extends Guest {
        private EventFd eventFd;

        @Override
        byte[] code() {
            return new byte[] {
                (byte) 0xb9, WRITES_PER_EXIT, 0x00,     // l: mov cx, 100
                (byte) 0xe6, IOEVENTFD_PORT,            // w: out 0x30, al
                (byte) 0xe2, (byte) 0xfc,               //    loop w
                (byte) 0xe6, DEVICE_PORT,               //    out 0x10, al
                (byte) 0xeb, (byte) 0xf5,               //    jmp l
            };
        }

        @Override
        void prepare(VmFd vm, GuestMemory memory) {
            eventFd = new EventFd();
            vm.adopt(eventFd);
            vm.assignIoEventFd(eventFd, IOEVENTFD_PORT, 1, true, null);
        }

        @Override
        void check() {
            expect(step() == ExitReason.IO && run.ioPort() == DEVICE_PORT,
                    "expected out 0x10: the writes to 0x30 should not exit");
            long signals = eventFd.await();
            expect(signals == WRITES_PER_EXIT, "the eventfd counted " + signals + " writes, expected " + WRITES_PER_EXIT);
        }
    }

    /** {@code l: sti; hlt; jmp l}; vector 0x20's handler does {@code inc word [0x500]; iret}. */
    @State(Scope.Thread)
    public static class HltGuest extends Guest {
        private GuestMemory memory;

        @Override
        byte[] code() {
            return new byte[] {(byte) 0xfb, (byte) 0xf4, (byte) 0xeb, (byte) 0xfc};
        }

        @Override
        void prepare(VmFd vm, GuestMemory memory) {
            this.memory = memory;
            memory.write(HANDLER, new byte[] {(byte) 0xff, 0x06, (byte) HANDLER_COUNT, (byte) (HANDLER_COUNT >>> 8), (byte) 0xcf});
            memory.writeShort(VECTOR * 4L, (short) HANDLER);
            memory.writeShort(VECTOR * 4L + 2, (short) 0);
        }

        @Override
        int vector() {
            return VECTOR;
        }

        @Override
        void check() {
            expect(step() == ExitReason.HLT && run.readyForInterruptInjection(), "expected an HLT ready for an interrupt");
            vcpu.interrupt(VECTOR);
            expect(step() == ExitReason.HLT, "expected the next HLT");
            expect(memory.readShort(HANDLER_COUNT) == 1, "the interrupt handler did not run");
            vcpu.interrupt(VECTOR); // answer this HLT too, as the loops do: every timed exit then has its injection
        }
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public long pio(PioGuest guest, Accounting accounting) {
        return guest.java(accounting, EXITS);
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public long cPio(PioGuest guest) {
        return guest.c(EXITS);
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public long mmio(MmioGuest guest, Accounting accounting) {
        return guest.java(accounting, EXITS);
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public long cMmio(MmioGuest guest) {
        return guest.c(EXITS);
    }

    @Benchmark
    @OperationsPerInvocation(IOEVENTFD_EXITS * WRITES_PER_EXIT)
    public long ioeventfd(IoEventFdGuest guest, Accounting accounting) {
        return guest.java(accounting, IOEVENTFD_EXITS);
    }

    @Benchmark
    @OperationsPerInvocation(IOEVENTFD_EXITS * WRITES_PER_EXIT)
    public long cIoeventfd(IoEventFdGuest guest) {
        return guest.c(IOEVENTFD_EXITS);
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public long hltInterrupt(HltGuest guest, Accounting accounting) {
        return guest.java(accounting, EXITS);
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public long cHltInterrupt(HltGuest guest) {
        return guest.c(EXITS);
    }
}
