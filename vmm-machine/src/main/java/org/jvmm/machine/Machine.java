package org.jvmm.machine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jvmm.core.arch.CpuFeature;
import org.jvmm.core.arch.CpuFeatures;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.irq.InterruptLine;
import org.jvmm.core.irq.KvmIrqLine;
import org.jvmm.core.kvm.Capability;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.stats.CounterSource;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.stats.KvmCounters;
import org.jvmm.core.stats.PhaseAccounting;
import org.jvmm.core.stats.PhaseReport;
import org.jvmm.core.vcpu.ExitDispatcher;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.core.vcpu.VcpuStop;
import org.jvmm.devices.control.VmControl;
import org.jvmm.devices.debug.DebugExit;
import org.jvmm.devices.i8042.I8042;
import org.jvmm.devices.rtc.CmosRtc;
import org.jvmm.devices.serial.OutputFlusher;
import org.jvmm.devices.serial.Serial;
import org.jvmm.devices.serial.SerialInputPump;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;

/**
 * jvmm's machine (docs/machine.md): RAM, COM1, the i8042 reset line, the debug exit, virtio-mmio
 * slots and the caller's devices at the places {@link MemoryMap} defines, one {@link Vcpu} per vCPU,
 * booting a raw payload or a Linux kernel. Built by {@link #builder()}.
 *
 * <p>Its life: {@link #start()} (or {@link #start(boolean)} held before the first instruction),
 * {@link #awaitEnd} for the {@link RunResult}, or {@link #run} for both; {@link #stop} from any
 * thread; {@link #close()} releases KVM, memory, files and threads, and stops a running guest
 * first. {@link #pause} leaves every vCPU out of {@code KVM_RUN} with its registers consistent, for
 * {@link #whilePaused} to read or change them; {@link #resume} lets it run on.
 */
public final class Machine implements AutoCloseable {

    /** How long {@link #awaitEnd} waits for each vCPU to leave KVM_RUN once the machine is stopping. */
    private static final long VCPU_STOP_MILLIS = 10_000;

    private final MachineBuilder.Spec spec;
    private final Resources resources = new Resources();
    private final Bus pio = new Bus("pio");
    private final Bus mmio = new Bus("mmio");
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final AtomicLong deviceThreadFaults = new AtomicLong();
    private final AtomicReference<StopCause> stopCause = new AtomicReference<>();
    private final PhaseMarker phaseMarker = new PhaseMarker();
    private PhaseAccounting phases;
    private VmFd vm;
    private GuestMemory memory;
    private Serial serial;
    private DeviceWiring devices;
    private NotifyPaths notifies;
    private KvmCounters counters;
    private Map<String, Long> countersAtStart = Map.of();
    private long startNanos;
    private volatile boolean started;

    private Machine(MachineBuilder.Spec spec) {
        this.spec = spec;
    }

    /** {@return a builder for a machine} */
    public static MachineBuilder builder() {
        return new MachineBuilder();
    }

    static Machine assemble(MachineBuilder.Spec spec) throws IOException {
        Machine machine = new Machine(spec);
        try {
            machine.assemble();
            return machine;
        } catch (IOException | RuntimeException e) {
            machine.close();
            throw e;
        }
    }

    private void assemble() throws IOException {
        devices = DeviceWiring.open(spec.devices(), resources);
        RawLoader raw = spec.boot() instanceof RawPayload payload ? new RawLoader(payload, spec.irqchip()) : null;
        KernelLoader kernelLoader;
        Kvm kvm;
        // A kernel file stays mapped until it is in guest RAM, and no longer.
        try (Arena kernelFile = Arena.ofConfined()) {
            kernelLoader = spec.boot() instanceof KernelBoot kernel ? KernelLoader.read(kernel, kernelFile) : null;

            kvm = resources.add(Kvm.open(spec.kvmDevice()));
            vm = resources.add(kvm.createVm());
            if (kernelLoader != null) {
                kernelLoader.configureVm(vm);
            } else {
                raw.configureVm(vm);
            }
            GuestRam ram = resources.add(GuestRam.allocate(spec.memory()));
            vm.addRam(ram);
            memory = ram.memory();

            addLegacyDevices();
            InterruptPaths interrupts = new InterruptPaths(vm, spec.irqchip(), resources, this::note);
            notifies = new NotifyPaths(vm, resources, this::note, deviceThreadFaults);
            devices.place(pio, mmio, memory, interrupts, notifies, spec.virtioObservers());
            if (kernelLoader != null) {
                kernelLoader.load(memory, spec.cpus(), devices.virtioSlots());
                mmio.register("boot-timer", MemoryMap.BOOT_TIMER, new BootTimer(spec.events()));
                if (kernelLoader instanceof MultibootLoader multiboot) {
                    SleepStates sleep = new SleepStates(this, this::requestStop, deviceThreadFaults,
                            new CmosRtc(CmosRtc.hostClock()));
                    sleep.facs(memory, multiboot.facs());
                    CompatDevices.register(pio, mmio, vm, spec.memory(), spec.cpus(), sleep.rtc(), sleep.pm1());
                }
            } else {
                raw.load(memory, spec.memory(), spec.cpus(), devices.virtioSlots().size());
            }
        }
        addVcpus(cpuid(kvm.supportedCpuid()), kernelLoader, raw);
        openCounters(kvm);
        phases = new PhaseAccounting(vcpus.stream().map(v -> v.dispatcher().stats()).toList(), pio, mmio,
                counters != null ? counters : CounterSource.NONE, System::nanoTime);
        phaseMarker.attach(phases);
    }

    private final VmControl control = new VmControl() {
        @Override
        public void requestReset() {
            requestStop(StopCause.of(StopCause.Kind.RESET, "reset requested by the guest (i8042)"));
        }

        @Override
        public void requestExit(int status) {
            requestStop(new StopCause(StopCause.Kind.GUEST_EXIT, "debug exit, status " + status, status));
        }
    };

    private void addLegacyDevices() {
        InterruptLine com1Irq = spec.irqchip() ? new KvmIrqLine(vm, MemoryMap.COM1_GSI) : InterruptLine.NONE;
        serial = resources.add(new Serial(com1Irq, spec.serialOut()));
        resources.add(OutputFlusher.start(serial));
        if (spec.serialIn() != null) {
            resources.add(SerialInputPump.start(spec.serialIn(), serial));
        }
        pio.register("com1", MemoryMap.COM1, serial);
        pio.register("i8042", MemoryMap.I8042, new I8042(control));
        pio.register("acpi-power", MemoryMap.ACPI_POWER, new PowerPorts(this::requestStop));
        pio.register("debug-exit", MemoryMap.DEBUG_EXIT, new DebugExit(control));
        pio.register("phase-marker", MemoryMap.PHASE_MARKER_PORT, phaseMarker);
        mmio.register("phase-marker", MemoryMap.PHASE_MARKER, phaseMarker);
    }

    /** KVM's supported CPUID changed as {@code --cpu} asks; features KVM lacks are left out, with a note. */
    private Cpuid cpuid(Cpuid supported) {
        CpuFeatures.Applied applied = spec.cpu().apply(supported);
        for (CpuFeature missing : applied.unavailable()) {
            note("--cpu +" + missing.name() + ": this host's KVM does not support it; the guest does not see it");
        }
        return applied.cpuid();
    }

    private void addVcpus(Cpuid cpuid, KernelLoader kernelLoader, RawLoader raw) {
        int mmioDevices = mmio.entries().size();
        for (int id = 0; id < spec.cpus(); id++) {
            VcpuFd fd = vm.createVcpu(id);
            if (kernelLoader != null) {
                kernelLoader.configureVcpu(fd, cpuid);
            } else {
                raw.configureVcpu(fd, cpuid, memory, spec.memory());
            }
            ExitDispatcher dispatcher = new ExitDispatcher(pio, mmio, new ExitStats(id, mmioDevices));
            dispatcher.setListener(spec.exitListener());
            vcpus.add(new Vcpu(fd, dispatcher));
        }
    }

    private void openCounters(Kvm kvm) {
        if (kvm.checkExtension(Capability.BINARY_STATS_FD) == 0) {
            note("no KVM counts: this host's KVM has no binary stats fd (KVM_CAP_BINARY_STATS_FD)");
            return;
        }
        try {
            counters = resources.add(KvmCounters.open(vm, vm.vcpus()));
        } catch (KvmException e) {
            note("no KVM counts: KVM's binary stats fd could not be opened: " + e.getMessage());
        }
    }

    private void note(String line) {
        synchronized (notes) {
            notes.add(line);
        }
        spec.events().accept(line);
    }

    /** {@return lines saying where the machine fell back from what was asked} */
    public List<String> notes() {
        synchronized (notes) {
            return List.copyOf(notes);
        }
    }

    /** Starts every vCPU; the guest runs at once. */
    public void start() {
        start(false);
    }

    /**
     * Starts the device threads and every vCPU.
     *
     * @param paused true to hold every vCPU before its first instruction until {@link #resume}
     * @throws IllegalStateException when the machine was started before
     */
    public synchronized void start(boolean paused) {
        if (started) {
            throw new IllegalStateException("the machine was started before");
        }
        started = true;
        countersAtStart = counters != null ? counters.sample() : Map.of();
        phases.start();
        notifies.start();
        startNanos = System.nanoTime();
        for (Vcpu vcpu : vcpus) {
            vcpu.result().thenAccept(this::vcpuStopped);
            vcpu.start(paused);
        }
    }

    /** A vCPU's loop ended: anything but HLT (which only ends that vCPU) stops the whole machine. */
    private void vcpuStopped(VcpuStop stop) {
        if (stop.isError()) {
            requestStop(StopCause.of(StopCause.Kind.VCPU_ERROR, stop.toString()));
        } else if (stop.cause() == VcpuStop.Cause.EXIT && stop.reason() != ExitReason.HLT) {
            requestStop(StopCause.of(StopCause.Kind.HALT, stop.toString()));
        }
    }

    private void requestStop(StopCause cause) {
        stopCause.compareAndSet(null, cause);
        vcpus.forEach(Vcpu::stop);
    }

    /**
     * {@return why the machine stopped or is stopping, or null while nothing asked it to} A guest
     * whose every vCPU halted (no irqchip) has no cause here; {@link #awaitEnd} reports it.
     */
    public StopCause stopCause() {
        return stopCause.get();
    }

    /**
     * Stops the guest from another thread (a signal, a controller): {@link #awaitEnd} returns soon after.
     *
     * @param why what the result's summary says
     */
    public void stop(String why) {
        requestStop(StopCause.of(StopCause.Kind.REQUESTED, why));
    }

    /**
     * Starts the machine and waits for its end.
     *
     * @param timeout the longest run; then the machine is stopped and the result says so
     * @return the outcome and the exit accounting
     */
    public RunResult run(Duration timeout) {
        start();
        return awaitEnd(timeout);
    }

    /**
     * Waits until the guest stops itself, a vCPU fails, {@link #stop} is called or {@code timeout}
     * passes, and says how the run went.
     *
     * @param timeout the longest wait; then the machine is stopped and the result says so
     * @return the outcome and the exit accounting
     * @throws IllegalStateException when the machine was not started
     */
    public RunResult awaitEnd(Duration timeout) {
        if (!started) {
            throw new IllegalStateException("the machine was not started");
        }
        CompletableFuture<?>[] ends = vcpus.stream().map(Vcpu::result).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(ends).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            requestStop(StopCause.of(StopCause.Kind.TIMEOUT, "timed out after " + timeout.toSeconds() + " s"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requestStop(StopCause.of(StopCause.Kind.REQUESTED, "interrupted"));
        } catch (java.util.concurrent.ExecutionException e) {
            requestStop(StopCause.of(StopCause.Kind.VCPU_ERROR, "failed: " + e.getCause()));
        }
        List<VcpuStop> stops = new ArrayList<>();
        for (Vcpu vcpu : vcpus) {
            try {
                stops.add(vcpu.await(VCPU_STOP_MILLIS));
            } catch (TimeoutException e) {
                stops.add(VcpuStop.failure(VcpuStop.Cause.NOT_STOPPED, "still in KVM_RUN after "
                        + VCPU_STOP_MILLIS / 1000 + " s"));
            }
        }
        long wall = System.nanoTime() - startNanos;
        Map<String, Long> after = counters != null ? counters.sample() : Map.of();
        serial.flush();
        List<ExitStatsSnapshot> snapshots = exitStats();
        long[] results = spec.boot() instanceof RawPayload ? RawLoader.results(memory) : new long[0];
        return new RunResult(finalCause(stops), stops, snapshots, KvmCounters.delta(countersAtStart, after), wall,
                results, notes(), hostFaults(), phases.report());
    }

    /** The recorded cause, unless a vCPU failed, which the user must hear about first. */
    private StopCause finalCause(List<VcpuStop> stops) {
        StopCause recorded = stopCause.get();
        if (recorded != null && recorded.kind() == StopCause.Kind.TIMEOUT) {
            return recorded;
        }
        for (VcpuStop stop : stops) {
            if (stop.isError()) {
                return StopCause.of(StopCause.Kind.VCPU_ERROR, stop.toString());
            }
        }
        return recorded != null ? recorded : StopCause.of(StopCause.Kind.HALT, stops.get(0).toString());
    }

    /**
     * Pauses every vCPU: each leaves {@code KVM_RUN} after finishing the instruction it is in.
     *
     * @param timeout how long to wait for all of them
     * @return true when every vCPU that still runs is paused; false on timeout (some may be paused)
     */
    public boolean pause(Duration timeout) {
        vcpus.forEach(Vcpu::requestPause);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Vcpu vcpu : vcpus) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (!vcpu.pause(Math.max(left, 1)) && !vcpu.result().isDone()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Asks every vCPU to pause and returns at once; safe from a vCPU's own thread (an exit listener),
     * where waiting for that vCPU would wait forever. {@link #pause} waits.
     */
    public void requestPause() {
        vcpus.forEach(Vcpu::requestPause);
    }

    /** Lets every paused vCPU run again. */
    public void resume() {
        vcpus.forEach(Vcpu::resume);
    }

    /** {@return whether every vCPU that still runs is paused} */
    public boolean isPaused() {
        return vcpus.stream().allMatch(v -> v.isPaused() || v.result().isDone());
    }

    /**
     * Runs {@code task} with one vCPU, on that vCPU's thread, while the machine is paused: reading and
     * changing registers, debug state, anything KVM wants from the vCPU's own thread.
     *
     * @param vcpu the vCPU index
     * @param task what to do
     * @param <T>  its result
     * @return what the task returned
     * @throws IllegalStateException when that vCPU is not paused, or the task failed
     */
    public <T> T whilePaused(int vcpu, Function<VcpuFd, T> task) {
        return vcpus.get(vcpu).whilePaused(task, VCPU_STOP_MILLIS);
    }

    /**
     * Faults on the host side that the guest must never be able to cause: device exceptions caught
     * on vCPU threads (the access was dropped), virtio devices that failed for a reason other than
     * bad guest input (they were set to DEVICE_NEEDS_RESET), and exceptions on device threads.
     * Each was also logged. Any of them makes {@link RunResult#exitStatus} {@value RunResult#HOST_FAULT_STATUS}.
     *
     * @return the count since the machine was built
     */
    public long hostFaults() {
        long faults = deviceThreadFaults.get() + (notifies == null ? 0 : notifies.threadFailures());
        for (Vcpu vcpu : vcpus) {
            faults += vcpu.deviceErrors();
        }
        for (VirtioMmioTransport transport : devices.transports()) {
            faults += transport.hostFaults();
        }
        return faults;
    }

    /** {@return each vCPU's exit accounting so far} */
    public List<ExitStatsSnapshot> exitStats() {
        return vcpus.stream().map(v -> v.dispatcher().stats().snapshot()).toList();
    }

    /**
     * {@return the exits per phase the guest has marked so far (the open phase up to now)} Empty
     * ({@link PhaseReport#NONE}) while the guest has written no mark.
     */
    public PhaseReport phases() {
        return phases.report();
    }

    /** {@return KVM's counters since the machine started, by name; empty where the host has none} */
    public Map<String, Long> kvmCountersSinceStart() {
        return counters == null ? Map.of() : KvmCounters.delta(countersAtStart, counters.sample());
    }

    /** {@return the port bus} */
    public Bus pio() {
        return pio;
    }

    /** {@return the MMIO bus} */
    public Bus mmio() {
        return mmio;
    }

    /** {@return guest memory} */
    public GuestMemory memory() {
        return memory;
    }

    /** {@return the vCPUs, by index} */
    public List<Vcpu> vcpus() {
        return List.copyOf(vcpus);
    }

    /** {@return the virtio transports, in slot order} */
    public List<VirtioMmioTransport> virtioTransports() {
        return devices.transports();
    }

    /** Stops a running guest, then releases threads, devices, files, memory and KVM, in that order. */
    @Override
    public void close() {
        StopCause closing = StopCause.of(StopCause.Kind.REQUESTED, "closed");
        stopCause.compareAndSet(null, closing);
        for (Vcpu vcpu : vcpus) {
            try {
                vcpu.close();
            } catch (RuntimeException e) {
                Log.LOG.log(Level.WARNING, "closing vCPU " + vcpu.fd().id(), e);
            }
        }
        resources.close();
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final Logger LOG = System.getLogger(Machine.class.getName());
    }
}
