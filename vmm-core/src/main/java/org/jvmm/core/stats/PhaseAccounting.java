package org.jvmm.core.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.kvm.ExitReason;

/**
 * Exit accounting per phase of a guest's own work. The guest marks "phase N begins here" (a write to
 * jvmm's phase marker); at each mark this reads every vCPU's {@link ExitStats} and the counters of a
 * {@link CounterSource} (KVM's) compactly, and adds what happened since the previous mark to the
 * phase that ends. Before the first mark, counts go to a part of their own.
 *
 * <p>Bounded whatever the guest does: phases 0 to {@value #MAX_PHASES} - 1 each keep one
 * fixed-size tally (per exit reason, per vCPU, per bus device, per counter; never the per-port
 * arrays), allocated the first time the phase is entered; re-entering a phase adds to it. A mark of
 * another number is counted as dropped and changes nothing else. So a storm of marks costs one
 * compact reading each and no memory beyond {@value #MAX_PHASES} + 1 tallies. Marks come from the
 * vCPU threads, rarely: they take this object's lock, which the exit path of unmarked exits never
 * touches.
 *
 * <p>The exit that carries a mark is counted by jvmm in the phase it begins (it is recorded after
 * the device returns); KVM has already counted it when its counters are read, in the phase that ends.
 */
public final class PhaseAccounting {

    /** Phases a guest can mark: 0 to MAX_PHASES - 1. */
    public static final int MAX_PHASES = 64;
    /** The device name of port accesses no device claimed. */
    public static final String UNCLAIMED_PORT = "(unclaimed port)";
    /** The device name of MMIO accesses no device claimed. */
    public static final String UNCLAIMED_MMIO = "(unclaimed mmio)";

    /** Tally slot of the part before the first mark; phase n is in slot n + 1. */
    private static final int BEFORE = 0;

    private final List<ExitStats> vcpus;
    private final CounterSource counters;
    private final List<String> counterNames;
    private final LongSupplier clock;
    /** Device columns: names, and for port devices their port range (size 0 for the others). */
    private final List<String> deviceNames = new ArrayList<>();
    private final int[] portBase;
    private final int[] portCount;
    /** Per column, the MMIO slot of ExitStats, or -1 for port columns and the unclaimed-port column. */
    private final int[] mmioSlot;
    private final int unclaimedPortColumn;
    private final Tally[] phases = new Tally[MAX_PHASES + 1];
    private final long[] marks = new long[MAX_PHASES + 1];
    private Tally last;
    private Tally reading;
    private int open = BEFORE;
    private long dropped;
    private boolean started;

    /**
     * Accounting over the given vCPUs' exits.
     *
     * @param vcpus    every vCPU's accounting, by index
     * @param pio      the port bus (its devices become columns)
     * @param mmio     the MMIO bus (its devices known to the ExitStats become columns)
     * @param counters KVM's counters, or {@link CounterSource#NONE}
     * @param clock    nanosecond clock for the phases' wall time ({@code System::nanoTime})
     */
    public PhaseAccounting(List<ExitStats> vcpus, Bus pio, Bus mmio, CounterSource counters, LongSupplier clock) {
        this.vcpus = List.copyOf(vcpus);
        this.counters = counters;
        this.counterNames = List.copyOf(counters.names());
        this.clock = clock;
        List<Bus.Entry> ports = pio.entries();
        int mmioDevices = this.vcpus.isEmpty() ? 0 : this.vcpus.get(0).mmioSlots() - 1;
        List<Bus.Entry> mmioEntries = mmio.entries().subList(0, Math.min(mmioDevices, mmio.entries().size()));
        int columns = ports.size() + 1 + mmioEntries.size() + 1;
        portBase = new int[columns];
        portCount = new int[columns];
        mmioSlot = new int[columns];
        int c = 0;
        for (Bus.Entry e : ports) {
            deviceNames.add(e.name());
            portBase[c] = (int) e.range().base();
            portCount[c] = (int) Math.min(e.range().size(), ExitStats.PORTS - e.range().base());
            mmioSlot[c++] = -1;
        }
        unclaimedPortColumn = c;
        deviceNames.add(UNCLAIMED_PORT);
        mmioSlot[c++] = -1;
        for (Bus.Entry e : mmioEntries) {
            deviceNames.add(e.name());
            mmioSlot[c++] = e.index();
        }
        deviceNames.add(UNCLAIMED_MMIO);
        mmioSlot[c] = mmioDevices;
        last = newTally();
        reading = newTally();
    }

    private Tally newTally() {
        return new Tally(vcpus.size(), deviceNames.size(), counterNames.size());
    }

    /** Takes the starting point: call when the vCPUs start (KVM's counters are not zero then). */
    public synchronized void start() {
        read(last);
        started = true;
    }

    /**
     * The guest marks the beginning of a phase: what happened since the last mark goes to the phase
     * that ends. Allocates only the first time a phase is entered.
     *
     * @param phase the number the guest wrote
     * @return true when marked; false when the number is not 0 to {@value #MAX_PHASES} - 1 (counted as dropped)
     */
    public synchronized boolean mark(long phase) {
        if (phase < 0 || phase >= MAX_PHASES) {
            dropped++;
            return false;
        }
        if (!started) {
            start();
        }
        read(reading);
        tally(open).addDifference(reading, last);
        Tally swap = last;
        last = reading;
        reading = swap;
        open = (int) phase + 1;
        marks[open]++;
        return true;
    }

    /** {@return marks of numbers outside the phases, ignored so far} */
    public synchronized long droppedMarks() {
        return dropped;
    }

    /**
     * The phases so far, the open one counted up to now.
     *
     * @return the report; {@link PhaseReport#NONE} when the guest has written no mark
     */
    public synchronized PhaseReport report() {
        if (!started || open == BEFORE) {
            return dropped == 0 ? PhaseReport.NONE : new PhaseReport(List.of(), dropped);
        }
        read(reading);
        List<Phase> out = new ArrayList<>();
        for (int slot = 0; slot <= MAX_PHASES; slot++) {
            if (slot != BEFORE && marks[slot] == 0) {
                continue;
            }
            Tally t = newTally();
            if (phases[slot] != null) {
                t.copyFrom(phases[slot]);
            }
            if (slot == open) {
                t.addDifference(reading, last);
            }
            out.add(phase(slot, t));
        }
        return new PhaseReport(out, dropped);
    }

    private Tally tally(int slot) {
        if (phases[slot] == null) {
            phases[slot] = newTally();
        }
        return phases[slot];
    }

    private Phase phase(int slot, Tally t) {
        Map<String, Long> byReason = new LinkedHashMap<>();
        Map<String, Long> nanos = new LinkedHashMap<>();
        long total = 0;
        for (int r = 0; r < ExitStats.REASONS; r++) {
            if (t.reasonExits[r] != 0) {
                byReason.put(ExitReason.describe(r), t.reasonExits[r]);
                nanos.put(ExitReason.describe(r), t.reasonNanos[r]);
                total += t.reasonExits[r];
            }
        }
        Map<String, Long> byDevice = new LinkedHashMap<>();
        for (int c = 0; c < deviceNames.size(); c++) {
            if (t.deviceExits[c] != 0) {
                byDevice.merge(deviceNames.get(c), t.deviceExits[c], Long::sum);
            }
        }
        List<Long> byVcpu = new ArrayList<>();
        for (long n : t.vcpuExits) {
            byVcpu.add(n);
        }
        Map<String, Long> kvm = new LinkedHashMap<>();
        for (int i = 0; i < counterNames.size(); i++) {
            kvm.put(counterNames.get(i), t.counters[i]);
        }
        return new Phase(slot == BEFORE ? Phase.BEFORE_FIRST_MARK : slot - 1, marks[slot], t.nanos, total, byReason,
                nanos, byDevice, byVcpu, kvm);
    }

    /** Reads the live accounting into {@code t}, allocating nothing. */
    private void read(Tally t) {
        t.clear();
        for (int v = 0; v < vcpus.size(); v++) {
            ExitStats s = vcpus.get(v);
            long exits = 0;
            for (int r = 0; r < ExitStats.REASONS; r++) {
                long n = s.exits(r);
                t.reasonExits[r] += n;
                t.reasonNanos[r] += s.nanos(r);
                exits += n;
            }
            t.vcpuExits[v] = exits;
            for (int c = 0; c < deviceNames.size(); c++) {
                if (c == unclaimedPortColumn) {
                    t.deviceExits[c] += s.unclaimedPio();
                } else if (mmioSlot[c] >= 0) {
                    t.deviceExits[c] += s.mmioExits(mmioSlot[c]);
                } else {
                    for (int port = portBase[c]; port < portBase[c] + portCount[c]; port++) {
                        t.deviceExits[c] += s.portExits(port);
                    }
                }
            }
        }
        counters.read(t.counters);
        t.nanos = clock.getAsLong();
    }
}
