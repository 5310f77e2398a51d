package org.jvmm.cli.machine;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jvmm.core.arch.Lapic;
import org.jvmm.core.boot.BootException;
import org.jvmm.core.boot.KernelImage;
import org.jvmm.core.boot.LinuxBoot;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.irq.InterruptLine;
import org.jvmm.core.irq.IrqFdLine;
import org.jvmm.core.irq.KvmIrqLine;
import org.jvmm.core.kvm.Capability;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.EventFd;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.stats.KvmCounters;
import org.jvmm.core.vcpu.ExitDispatcher;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.core.vcpu.VcpuExit;
import org.jvmm.devices.ata.AtaPio;
import org.jvmm.devices.control.VmControl;
import org.jvmm.devices.debug.DebugExit;
import org.jvmm.devices.i8042.I8042;
import org.jvmm.devices.serial.OutputFlusher;
import org.jvmm.devices.serial.Serial;
import org.jvmm.devices.serial.SerialInputPump;
import org.jvmm.cli.trace.JfrTracing;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.VirtioObserver;
import org.jvmm.devices.virtio.blk.VirtioBlock;
import org.jvmm.devices.virtio.console.VirtioConsole;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;
import org.jvmm.devices.virtio.rng.VirtioRng;

/**
 * The machine of docs/machine.md, wired from vmm-core and vmm-devices: RAM, page tables and
 * parameter block, COM1, i8042, debug exit, virtio-mmio slots with their notify and interrupt
 * paths, one {@link Vcpu} per vCPU. All address and GSI allocation lives here.
 */
public final class RawMachine implements AutoCloseable {

    private static final Logger LOG = System.getLogger(RawMachine.class.getName());
    private static final long QUEUE_NOTIFY = 0x50;

    /** System property naming the KVM device node to open instead of {@code /dev/kvm} (for tests). */
    public static final String KVM_DEVICE_PROPERTY = "jvmm.kvm.device";

    private final MachineConfig config;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Bus pio = new Bus("pio");
    private final Bus mmio = new Bus("mmio");
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final List<Thread> deviceThreads = new ArrayList<>();
    private final List<VirtioMmioTransport> transports = new ArrayList<>();
    private final AtomicLong deviceThreadFaults = new AtomicLong();
    private final AtomicReference<String> stopCause = new AtomicReference<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<DeviceSpec, AutoCloseable> backends = new java.util.IdentityHashMap<>();
    private volatile int debugExitStatus = -1;
    private volatile boolean stopping;
    private final List<Integer> virtioSlots = new ArrayList<>();
    private LinuxGuest linux;
    private Kvm kvm;
    private VmFd vm;
    private GuestMemory memory;
    private KvmCounters counters;
    private Serial serial;

    private final JfrTracing tracing;

    private RawMachine(MachineConfig config, JfrTracing tracing) {
        this.config = config;
        this.tracing = tracing;
    }

    /**
     * Builds the machine: opens KVM, maps RAM, loads the payload, wires devices and vCPUs.
     *
     * @param config what to build
     * @return the machine, ready to {@link #run}
     * @throws KvmException when KVM refuses something
     * @throws IOException  when a device's file cannot be opened
     */
    public static RawMachine build(MachineConfig config) throws IOException {
        return build(config, null);
    }

    /**
     * Builds the machine with JFR tracing of every exit and virtio device event.
     *
     * @param config  what to build
     * @param tracing the recording, or null for none
     * @return the machine, ready to {@link #run}
     * @throws KvmException when KVM refuses something
     * @throws IOException  when a device's file cannot be opened
     */
    public static RawMachine build(MachineConfig config, JfrTracing tracing) throws IOException {
        RawMachine machine = new RawMachine(config, tracing);
        try {
            machine.assemble();
            return machine;
        } catch (IOException | RuntimeException e) {
            machine.close();
            throw e;
        }
    }

    private void assemble() throws IOException {
        // Files first: a missing, read-only or locked image is the user's to fix whether or not KVM is there.
        openBackends();
        // A file that is not a kernel is the user's to fix too: parse it before touching KVM.
        KernelImage kernelImage = null;
        if (config.linux() != null) {
            try {
                kernelImage = KernelImage.read(config.linux().kernel());
            } catch (BootException e) {
                throw new IllegalArgumentException("kernel " + config.linux().kernel() + ": " + e.getMessage(), e);
            }
        }
        kvm = Kvm.open(kvmDevice());
        resources.add(kvm);
        vm = kvm.createVm();
        resources.add(vm);
        GuestRam ram = GuestRam.allocate(config.memory());
        vm.addRam(ram);
        memory = ram.memory();
        if (config.linux() != null) {
            LinuxBoot.configureVm(vm);
        } else {
            try {
                vm.setTssAddress(RawLayout.KVM_TSS);
            } catch (KvmException e) {
                LOG.log(Level.DEBUG, "KVM_SET_TSS_ADDR refused; only Intel hosts need it: " + e.getMessage());
            }
            if (config.irqchip()) {
                vm.createIrqChip();
                vm.createPit2();
            }
            loadPayload();
        }
        addLegacyDevices();
        addDevices();
        if (config.linux() != null) {
            linux = new LinuxGuest(config, kernelImage, memory, virtioSlots, this::requestStop);
            linux.load();
            linux.registerPorts(pio, mmio);
        }
        addVcpus();
        if (kvm.checkExtension(Capability.BINARY_STATS_FD) == 0) {
            note("no KVM counts: this host's KVM has no binary stats fd (KVM_CAP_BINARY_STATS_FD)");
        } else {
            try {
                counters = KvmCounters.open(vm, vm.vcpus());
                resources.add(counters);
            } catch (KvmException e) {
                note("no KVM counts: KVM's binary stats fd could not be opened: " + e.getMessage());
            }
        }
    }

    /** {@return the KVM device node: {@value #KVM_DEVICE_PROPERTY} if set, else /dev/kvm} */
    public static java.nio.file.Path kvmDevice() {
        String node = System.getProperty(KVM_DEVICE_PROPERTY);
        return node == null || node.isEmpty() ? Kvm.DEFAULT_PATH : java.nio.file.Path.of(node);
    }

    private void openBackends() throws IOException {
        for (DeviceSpec spec : config.devices()) {
            AutoCloseable backend = switch (spec.kind()) {
                case VIRTIO_BLK -> VirtioBlock.open(spec.path(), spec.readOnly());
                case ATA_PIO -> AtaPio.open(spec.path(), spec.readOnly());
                case VIRTIO_CONSOLE -> spec.out() == null ? null : Files.newOutputStream(spec.out());
                case VIRTIO_RNG -> null;
            };
            if (backend != null) {
                resources.add(backend);
                backends.put(spec, backend);
            }
        }
    }

    private void loadPayload() {
        long entry = config.longMode() ? RawLayout.LONG_MODE_ENTRY : RawLayout.REAL_MODE_ENTRY;
        memory.write(entry, config.payload());
        long p = RawLayout.PARAMS;
        memory.writeInt(p, RawLayout.PARAMS_MAGIC);
        memory.writeInt(p + 4, 1);
        memory.writeLong(p + 8, config.memory());
        memory.writeInt(p + 0x10, config.cpus());
        memory.writeInt(p + 0x14, (int) config.devices().stream().filter(d -> d.kind().isVirtio()).count());
        memory.writeLong(p + 0x18, config.irqchip() ? 1 : 0);
        for (int i = 0; i < config.args().length; i++) {
            memory.writeLong(p + 0x20 + 8L * i, config.args()[i]);
        }
    }

    private final VmControl control = new VmControl() {
        @Override
        public void requestReset() {
            requestStop("reset requested by the guest (i8042)", -1);
        }

        @Override
        public void requestExit(int status) {
            requestStop("debug exit, status " + status, status);
        }
    };

    private void addLegacyDevices() {
        InterruptLine com1Irq = config.irqchip() ? new KvmIrqLine(vm, RawLayout.COM1_GSI) : InterruptLine.NONE;
        serial = new Serial(com1Irq, config.serialOut());
        resources.add(serial);
        resources.add(OutputFlusher.start(serial));
        if (config.serialIn() != null) {
            resources.add(SerialInputPump.start(config.serialIn(), serial));
        }
        pio.register("com1", Serial.COM1, serial);
        pio.register("i8042", I8042.RANGE, new I8042(control));
        pio.register("debug-exit", DebugExit.RANGE, new DebugExit(control));
    }

    private void addDevices() throws IOException {
        int slot = 0;
        for (DeviceSpec spec : config.devices()) {
            if (!spec.kind().isVirtio()) {
                addAta(spec);
                continue;
            }
            VirtioDevice device = switch (spec.kind()) {
                case VIRTIO_CONSOLE -> new VirtioConsole(Channels.newChannel(consoleOut(spec)), 80, 25);
                case VIRTIO_BLK -> (VirtioBlock) backends.get(spec);
                case VIRTIO_RNG -> new VirtioRng();
                default -> throw new IllegalStateException(spec.kind().name());
            };
            if (device instanceof AutoCloseable closeable && spec.kind() != DeviceSpec.Kind.VIRTIO_BLK) {
                resources.add(closeable);
            }
            int gsi = RawLayout.VIRTIO_GSI + slot;
            long base = RawLayout.VIRTIO_BASE + slot * RawLayout.VIRTIO_SLOT_SIZE;
            InterruptLine irq = interruptLine(spec, gsi);
            String name = spec.kind().text + "@" + slot;
            VirtioMmioTransport transport = new VirtioMmioTransport(device, memory, irq,
                    tracing == null ? VirtioObserver.NONE : JfrTracing.observer(name));
            mmio.register(name, new AddressRange(base, RawLayout.VIRTIO_SLOT_SIZE), transport);
            transports.add(transport);
            if (spec.notifyMode() == DeviceSpec.Notify.IOEVENTFD) {
                wireIoEventFds(name, transport, device.queueCount(), base + QUEUE_NOTIFY);
            }
            virtioSlots.add(slot);
            slot++;
        }
    }

    private void addAta(DeviceSpec spec) {
        AtaPio ata = (AtaPio) backends.get(spec);
        pio.register("ata-pio", AtaPio.RANGE, ata);
    }

    private OutputStream consoleOut(DeviceSpec spec) {
        return spec.out() == null ? config.serialOut() : (OutputStream) backends.get(spec);
    }

    private InterruptLine interruptLine(DeviceSpec spec, int gsi) {
        DeviceSpec.Irq mode = spec.irqMode(config.irqchip());
        if (mode != DeviceSpec.Irq.NONE && !config.irqchip()) {
            throw new IllegalArgumentException(spec.kind().text + ": irq=" + mode.name().toLowerCase()
                    + " needs the in-kernel irqchip (drop --no-irqchip)");
        }
        return switch (mode) {
            case LINE -> new KvmIrqLine(vm, gsi);
            case IRQFD -> {
                if (kvm.checkExtension(Capability.IRQFD) == 0) {
                    note(spec.kind().text + ": this host has no irqfd; using KVM_IRQ_LINE");
                    yield new KvmIrqLine(vm, gsi);
                }
                try {
                    IrqFdLine line = new IrqFdLine(vm, gsi);
                    resources.add(line);
                    yield line;
                } catch (KvmException e) {
                    note(spec.kind().text + ": KVM refused the irqfd (" + e.getMessage() + "); using KVM_IRQ_LINE");
                    yield new KvmIrqLine(vm, gsi);
                }
            }
            case NONE -> InterruptLine.NONE;
        };
    }

    private void wireIoEventFds(String name, VirtioMmioTransport transport, int queues, long address) {
        if (kvm.checkExtension(Capability.IOEVENTFD) == 0) {
            note(name + ": this host has no ioeventfd; QueueNotify stays an MMIO exit");
            return;
        }
        for (int q = 0; q < queues; q++) {
            EventFd eventFd = new EventFd();
            resources.add(eventFd);
            try {
                vm.assignIoEventFd(eventFd, address, 4, false, (long) q);
            } catch (KvmException e) {
                // The queues not wired keep working: their QueueNotify stays an MMIO exit.
                note(name + ": KVM refused the ioeventfd of queue " + q + " (" + e.getMessage()
                        + "); QueueNotify of queues " + q + " and up stays an MMIO exit");
                return;
            }
            int queue = q;
            Thread thread = Thread.ofPlatform().daemon(true).name(name + "-q" + q).unstarted(() -> {
                while (!stopping) {
                    if (eventFd.await() > 0 && !stopping) {
                        try {
                            transport.notifyQueue(queue);
                        } catch (RuntimeException e) {
                            deviceThreadFaults.incrementAndGet();
                            LOG.log(Level.WARNING, name + " queue " + queue + " failed; notify dropped", e);
                        }
                    }
                }
            });
            // An Error ends the thread, and with it the queue's notifications: count it as a fault.
            thread.setUncaughtExceptionHandler((t, e) -> {
                deviceThreadFaults.incrementAndGet();
                LOG.log(Level.ERROR, t.getName() + " died; " + name + " queue " + queue + " hears no more notifies", e);
            });
            deviceThreads.add(thread);
            resources.add(() -> {
                eventFd.signal();
                thread.join(TimeUnit.SECONDS.toMillis(5));
            });
        }
    }

    private void note(String line) {
        notes.add(line);
        LOG.log(Level.INFO, line);
    }

    /** {@return lines saying where the machine fell back from what was asked} */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    private void addVcpus() {
        Cpuid supported = kvm.supportedCpuid();
        int mmioDevices = mmio.entries().size();
        for (int id = 0; id < config.cpus(); id++) {
            VcpuFd fd = vm.createVcpu(id);
            if (linux != null) {
                linux.configureVcpu(fd, supported);
            } else if (config.longMode()) {
                fd.setCpuid(X86Setup.cpuidFor(supported, id));
                long stack = RawLayout.LONG_MODE_STACK - id * RawLayout.STACK_STRIDE;
                X86Setup.longMode(fd, memory, RawLayout.GDT, RawLayout.PML4, 4, RawLayout.LONG_MODE_ENTRY, stack);
                var regs = fd.getRegisters();
                regs.set(Register.RDI, config.memory()).set(Register.RSI, id).set(Register.RDX, RawLayout.PARAMS);
                fd.setRegisters(regs);
            } else {
                fd.setCpuid(X86Setup.cpuidFor(supported, id));
                X86Setup.realMode(fd, 0, RawLayout.REAL_MODE_ENTRY, RawLayout.REAL_MODE_STACK);
                var regs = fd.getRegisters();
                regs.set(Register.RDX, id);
                fd.setRegisters(regs);
            }
            if (config.irqchip() && linux == null) {
                Lapic.routeLegacyInterrupts(fd);
            }
            ExitDispatcher dispatcher = new ExitDispatcher(pio, mmio, new ExitStats(id, mmioDevices));
            if (tracing != null) {
                dispatcher.setListener(tracing);
            }
            vcpus.add(new Vcpu(fd, dispatcher));
        }
    }

    /**
     * Faults on the host side that the guest must never be able to cause: device exceptions
     * caught on vCPU threads (the access was dropped), virtio devices that failed for a reason
     * other than bad guest input (they were set to DEVICE_NEEDS_RESET), and exceptions on the
     * ioeventfd device threads. Each was also logged as a warning or error. The hostile-guest tests
     * hold this at 0.
     *
     * @return the count since the machine was built
     */
    public long hostFaults() {
        long faults = deviceThreadFaults.get();
        for (Vcpu vcpu : vcpus) {
            faults += vcpu.deviceErrors();
        }
        for (VirtioMmioTransport transport : transports) {
            faults += transport.hostFaults();
        }
        return faults;
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

    /** {@return the vCPUs} */
    public List<Vcpu> vcpus() {
        return List.copyOf(vcpus);
    }

    void requestStop(String cause, int status) {
        if (stopCause.compareAndSet(null, cause)) {
            debugExitStatus = status;
        }
        vcpus.forEach(Vcpu::stop);
    }

    /**
     * Stops the guest from another thread (a signal, a controller): {@link #run} returns soon after.
     *
     * @param cause what the result's summary says
     */
    public void stop(String cause) {
        requestStop(cause, -1);
    }

    /**
     * Runs the guest until it stops itself, a vCPU fails, or {@code timeout} passes.
     *
     * @param timeout the longest run
     * @return the outcome and the exit accounting
     */
    public RunResult run(Duration timeout) {
        Map<String, Long> before = counters != null ? counters.sample() : Map.of();
        deviceThreads.forEach(Thread::start);
        long start = System.nanoTime();
        vcpus.forEach(Vcpu::start);
        List<CompletableFuture<VcpuExit>> futures = vcpus.stream().map(Vcpu::result).toList();
        for (CompletableFuture<VcpuExit> f : futures) {
            f.thenAccept(exit -> {
                if (exit.reason() != org.jvmm.core.kvm.ExitReason.HLT) {
                    requestStop(exit.toString(), -1);
                }
            });
        }
        boolean timedOut = false;
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            timedOut = true;
            requestStop("timed out after " + timeout.toSeconds() + " s", -1);
        } catch (Exception e) {
            requestStop("failed: " + e, -1);
        }
        List<VcpuExit> exits = new ArrayList<>();
        for (Vcpu vcpu : vcpus) {
            try {
                exits.add(vcpu.await(10_000));
            } catch (java.util.concurrent.TimeoutException e) {
                exits.add(new VcpuExit(org.jvmm.core.kvm.ExitReason.UNSUPPORTED, -1, "did not stop", ""));
            }
        }
        long wall = System.nanoTime() - start;
        stopping = true;
        Map<String, Long> after = counters != null ? counters.sample() : Map.of();
        serial.flush();
        List<ExitStatsSnapshot> snapshots = vcpus.stream().map(v -> v.dispatcher().stats().snapshot()).toList();
        long[] results = new long[RawLayout.RESULTS];
        for (int i = 0; i < results.length; i++) {
            results[i] = memory.readLong(RawLayout.PARAMS + RawLayout.RESULTS_OFFSET + 8L * i);
        }
        boolean error = timedOut || exits.stream().anyMatch(VcpuExit::isError);
        int status;
        String summary;
        if (debugExitStatus >= 0 && !error) {
            status = debugExitStatus; // already (v << 1) | 1, as isa-debug-exit
            summary = stopCause.get();
        } else if (error) {
            status = 1;
            summary = timedOut ? stopCause.get() : exits.stream().filter(VcpuExit::isError).findFirst().orElseThrow().toString();
        } else {
            status = 0;
            summary = stopCause.get() != null ? stopCause.get() : exits.get(0).toString();
        }
        return new RunResult(status, summary, exits, snapshots, KvmCounters.delta(before, after), wall, results, error,
                hostFaults());
    }

    /** Stops everything and releases KVM, memory, files and threads. */
    @Override
    public void close() {
        stopping = true;
        for (Vcpu vcpu : vcpus) {
            try {
                vcpu.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing vCPU", e);
            }
        }
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.log(Level.DEBUG, "closing " + resources.get(i), e);
            }
        }
    }
}
