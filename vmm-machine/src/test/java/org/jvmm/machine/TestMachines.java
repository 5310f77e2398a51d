package org.jvmm.machine;

import java.io.OutputStream;

/** Machines the KVM tests build: a raw payload or a built-in guest, quiet unless told otherwise. */
final class TestMachines {
    /** Exits, no interrupts, EVENT_IDX offered: what the polling built-in guests use. */
    static final VirtioPaths POLLED = new VirtioPaths(Notify.EXIT, Interrupt.NONE, true);

    private TestMachines() {}

    static VirtioPaths paths(Notify notify, Interrupt interrupt) {
        return new VirtioPaths(notify, interrupt, true);
    }

    /** A raw payload on a machine with the in-kernel irqchip and no devices yet. */
    static MachineBuilder raw(byte[] payload, CpuMode mode, long memory, OutputStream serial, long... args) {
        return Machine.builder()
                .memory(memory)
                .boot(new RawPayload(payload, mode, args))
                .serial(serial, null)
                .events(line -> System.out.println("machine: " + line));
    }

    /** A built-in guest in long mode with 64 MiB. */
    static MachineBuilder builtin(String guest, OutputStream serial, long... args) {
        return raw(BuiltinGuests.load(guest), CpuMode.LONG, 64L << 20, serial, args);
    }
}
