package org.jvmm.machine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.boot.AcpiTables;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.devices.acpi.Pm1Registers;
import org.jvmm.devices.rtc.CmosRtc;

/**
 * The sleep states a guest enters through PM1_CNT (the Multiboot machine's, docs/machine.md): SLP_TYP
 * {@link AcpiTables#S5_SLEEP_TYPE} powers off; SLP_TYP {@link AcpiTables#S3_SLEEP_TYPE} suspends to
 * RAM. Other types are ignored.
 *
 * <p>Suspend: every vCPU stops running (paused, RAM and devices as they are), on a thread of its own
 * so that the writing vCPU's thread returns to its loop and pauses. The machine sleeps until the RTC
 * alarm if the guest enabled it as a wake source (RTC_EN in PM1_EN and AIE in register B; a
 * {@link #MAX_SLEEP} at most), else until it is stopped. Then it wakes as a PC does: PM1_STS gets
 * WAK_STS and RTC_STS; vCPU 0 starts in real mode at the FACS's firmware waking vector, CS = vector
 * &gt;&gt; 4 and IP = vector &amp; 0xf (ACPI 6.5, 5.2.10); every other vCPU waits for INIT and SIPI, as
 * after power-on. A waking vector of 0 (the guest set none) stops the machine as a reset would (a PC
 * would boot afresh). Another S3 write while asleep is dropped.
 */
final class SleepStates {

    /** The longest sleep with the alarm armed. */
    static final Duration MAX_SLEEP = Duration.ofHours(24);
    /** How long the vCPUs may take to pause. */
    private static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(10);
    /** How often a sleep looks whether the machine is stopping. */
    private static final long POLL_MILLIS = 20;
    /** KVM_MP_STATE_RUNNABLE. */
    private static final int MP_STATE_RUNNABLE = 0;
    /** KVM_MP_STATE_UNINITIALIZED: an application processor waiting for INIT. */
    private static final int MP_STATE_UNINITIALIZED = 1;

    private final Machine machine;
    private final Consumer<StopCause> stop;
    private final AtomicLong faults;
    private final CmosRtc rtc;
    private final Pm1Registers pm1;
    private final AtomicBoolean asleep = new AtomicBoolean();
    private GuestMemory memory;
    private long facs;

    /**
     * The sleep states of a machine with this RTC; the PM1 registers are made here.
     *
     * @param machine the machine, to pause, set up and resume its vCPUs
     * @param stop    stops the machine
     * @param faults  counts host faults (a failed resume)
     * @param rtc     the RTC whose alarm wakes the machine
     */
    SleepStates(Machine machine, Consumer<StopCause> stop, AtomicLong faults, CmosRtc rtc) {
        this.machine = machine;
        this.stop = stop;
        this.faults = faults;
        this.rtc = rtc;
        this.pm1 = new Pm1Registers(this::sleep);
    }

    /** {@return the RTC whose alarm wakes the machine} */
    CmosRtc rtc() {
        return rtc;
    }

    /** {@return the PM1 registers, whose SLP_EN writes come here} */
    Pm1Registers pm1() {
        return pm1;
    }

    /**
     * Where the FACS is, once the tables are in RAM.
     *
     * @param memory guest RAM
     * @param facs   the FACS's guest-physical address, 0 for a machine without ACPI tables
     */
    void facs(GuestMemory memory, long facs) {
        this.memory = memory;
        this.facs = facs;
    }

    /** The guest wrote SLP_EN, on a vCPU's thread. */
    private void sleep(int type) {
        if (type == AcpiTables.S5_SLEEP_TYPE) {
            stop.accept(StopCause.of(StopCause.Kind.POWER_OFF, "the guest powered off"));
        } else if (type == AcpiTables.S3_SLEEP_TYPE && asleep.compareAndSet(false, true)) {
            machine.requestPause();
            Thread.ofPlatform().daemon().name("jvmm-s3").start(this::suspendAndResume);
        } else {
            Log.LOG.log(Level.DEBUG, "SLP_EN with SLP_TYP " + type + " ignored");
        }
    }

    private void suspendAndResume() {
        try {
            if (!machine.pause(PAUSE_TIMEOUT)) {
                if (machine.stopCause() == null) {
                    stop.accept(StopCause.of(StopCause.Kind.VCPU_ERROR, "S3: the vCPUs did not stop within "
                            + PAUSE_TIMEOUT.toSeconds() + " s"));
                }
                return;
            }
            if (!sleepUntilWake()) {
                return;
            }
            long vector = facs == 0 ? 0 : memory.readInt(facs + AcpiTables.FACS_WAKING_VECTOR) & 0xffff_ffffL;
            if (vector == 0 || vector > 0xf_ffff) {
                stop.accept(StopCause.of(StopCause.Kind.RESET, String.format(
                        "S3 resume: the FACS waking vector is 0x%x, not a real-mode address (jvmm stops instead of rebooting)",
                        vector)));
                return;
            }
            pm1.wake(Pm1Registers.RTC);
            for (Vcpu vcpu : machine.vcpus()) {
                if (vcpu.result().isDone()) {
                    continue;
                }
                machine.whilePaused(vcpu.fd().id(), fd -> {
                    if (fd.id() == 0) {
                        X86Setup.realModeFromAnyMode(fd, (int) (vector >>> 4), vector & 0xf);
                        fd.setMpState(MP_STATE_RUNNABLE);
                    } else {
                        fd.setMpState(MP_STATE_UNINITIALIZED);
                    }
                    return null;
                });
            }
            asleep.set(false);
            machine.resume();
        } catch (RuntimeException e) {
            if (machine.stopCause() != null) {
                // Stopped or closed while waking: the vCPUs went away under the resume, no fault.
                Log.LOG.log(Level.DEBUG, "S3 resume ended by the machine's stop: " + e);
                return;
            }
            faults.incrementAndGet();
            Log.LOG.log(Level.ERROR, "S3 resume failed", e);
            stop.accept(StopCause.of(StopCause.Kind.VCPU_ERROR, "S3 resume failed: " + e));
        }
    }

    /**
     * Sleeps until the wake time, or until the machine stops.
     *
     * @return true to wake, false when the machine is stopping
     */
    private boolean sleepUntilWake() {
        long now = rtc.now();
        long alarm = (pm1.enable() & Pm1Registers.RTC) != 0 && rtc.alarmInterruptEnabled() ? rtc.nextAlarmNanos(now) : -1;
        long wake = alarm < 0 ? Long.MAX_VALUE : Math.min(alarm, now + MAX_SLEEP.toNanos());
        Log.LOG.log(Level.DEBUG, () -> alarm < 0 ? "S3: no wake source; asleep until stopped"
                : "S3: asleep until the RTC alarm in " + TimeUnit.NANOSECONDS.toMillis(wake - now) + " ms");
        while (machine.stopCause() == null) {
            long left = wake - rtc.now();
            if (left <= 0) {
                return true;
            }
            try {
                Thread.sleep(Math.max(1, Math.min(POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(left))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** The logger, looked up on first use. */
    private static final class Log {
        static final Logger LOG = System.getLogger(SleepStates.class.getName());
    }
}
