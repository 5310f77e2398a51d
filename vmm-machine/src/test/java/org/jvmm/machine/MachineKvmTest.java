package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The machine's own controls under real KVM: pause leaves the vCPU's registers consistent with what
 * the guest did (an I/O instruction in flight is completed first), registers change while paused,
 * a machine started paused runs nothing until resumed; callers' port and MMIO devices are placed and
 * reached; a device that throws on a read gives the guest all ones and the run the host-fault status.
 */
@Tag("kvm")
class MachineKvmTest {

    /** The first port the machine allocates to a caller's device. */
    private static final int PORT = MemoryMap.PORT_ALLOCATION_BASE;
    private static final long LOOP_OUT = MemoryMap.REAL_MODE_ENTRY + 4;

    /** Real mode: {@code mov dx, PORT; loop: inc ax; out dx, al; jmp loop}. */
    private static final byte[] COUNTER = {(byte) 0xba, (byte) PORT, (byte) (PORT >> 8), 0x40, (byte) 0xee,
        (byte) 0xeb, (byte) 0xfc};

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    /** Remembers every byte written to it. */
    static final class Recorder implements BusDevice {
        private final List<Integer> values = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public synchronized void write(long offset, int size, long value) {
            if (values.size() < 1 << 22) {
                values.add((int) (value & 0xff));
            }
        }

        synchronized int count() {
            return values.size();
        }

        synchronized int at(int index) {
            return values.get(index);
        }

        synchronized int last() {
            return values.getLast();
        }
    }

    private static Machine counter(Recorder recorder) throws IOException {
        return TestMachines.raw(COUNTER, CpuMode.REAL, 16L << 20, OutputStream.nullOutputStream())
                .device(new PortDeviceConfig("counter", recorder, PortDeviceConfig.ALLOCATE, 1))
                .build();
    }

    private static void awaitCount(Recorder recorder, int atLeast) throws InterruptedException {
        for (int i = 0; i < 3000 && recorder.count() < atLeast; i++) {
            Thread.sleep(10);
        }
        assertTrue(recorder.count() >= atLeast, "the guest wrote " + recorder.count() + " bytes, not " + atLeast);
    }

    @Test
    void pauseLeavesRegistersAsTheGuestLeftThemAndResumeRunsOnFromChangedOnes() throws Exception {
        Recorder recorder = new Recorder();
        try (Machine machine = counter(recorder)) {
            assertEquals(PORT, machine.pio().find("counter").orElseThrow().range().base(), "the first free port");
            machine.start();
            for (int round = 0; round < 20; round++) {
                awaitCount(recorder, 100 * (round + 1));
                assertTrue(machine.pause(Duration.ofSeconds(10)), "paused");
                Registers regs = machine.whilePaused(0, fd -> fd.getRegisters());
                long al = regs.get(Register.RAX) & 0xff;
                long rip = regs.get(Register.RIP);
                // Between instructions: before the out (inc done, AL one ahead), or anywhere else with
                // AL the byte last written. Paused right after the I/O exit but before KVM completed the
                // out, rip would still point at the out with AL already written: that must not be seen.
                if (rip == LOOP_OUT) {
                    assertEquals((recorder.last() + 1) & 0xff, al, "round " + round + ": at the out, AL is the next byte");
                } else {
                    assertEquals(recorder.last(), al, "round " + round + ": rip 0x" + Long.toHexString(rip));
                }
                int paused = recorder.count();
                Thread.sleep(100);
                assertEquals(paused, recorder.count(), "nothing runs while paused");
                machine.resume();
            }
            assertTrue(machine.pause(Duration.ofSeconds(10)));
            int before = recorder.count();
            machine.whilePaused(0, fd -> {
                Registers regs = fd.getRegisters();
                fd.setRegisters(regs.set(Register.RAX, 0x40).set(Register.RIP, MemoryMap.REAL_MODE_ENTRY + 3));
                return null;
            });
            machine.resume();
            awaitCount(recorder, before + 3);
            assertEquals(0x41, recorder.at(before), "the guest resumed from the registers set while paused");
            assertEquals(0x42, recorder.at(before + 1));
            machine.stop("test done");
            RunResult result = machine.awaitEnd(Duration.ofSeconds(30));
            assertEquals(StopCause.Kind.REQUESTED, result.cause().kind(), result.summary());
            assertEquals(0, result.exitStatus());
            assertEquals(0, result.hostFaults());
        }
    }

    @Test
    void aMachineStartedPausedRunsNothingUntilResumed() throws Exception {
        Recorder recorder = new Recorder();
        try (Machine machine = counter(recorder)) {
            machine.start(true);
            Thread.sleep(300);
            assertEquals(0, recorder.count(), "no instruction ran");
            assertTrue(machine.isPaused());
            long rip = machine.whilePaused(0, fd -> fd.getRegisters().get(Register.RIP));
            assertEquals(MemoryMap.REAL_MODE_ENTRY, rip);
            machine.resume();
            awaitCount(recorder, 10);
            machine.stop("test done");
            assertEquals(StopCause.Kind.REQUESTED, machine.awaitEnd(Duration.ofSeconds(30)).cause().kind());
        }
    }

    /** Long mode: write 0x1234 to an MMIO device, read it back, debug-exit with the low byte read. */
    private static byte[] mmioGuest(long address) {
        byte[] code = {0x48, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, // mov rax, address
            (byte) 0xc7, 0x00, 0x34, 0x12, 0x00, 0x00,            // mov dword [rax], 0x1234
            (byte) 0x8b, 0x18,                                    // mov ebx, [rax]
            (byte) 0x88, (byte) 0xd8,                             // mov al, bl
            (byte) 0xe6, (byte) MemoryMap.DEBUG_EXIT.base(),      // out DEBUG_EXIT, al
            (byte) 0xf4};                                         // hlt
        for (int i = 0; i < 8; i++) {
            code[2 + i] = (byte) (address >>> (8 * i));
        }
        return code;
    }

    @Test
    void aCallersMmioDeviceIsPlacedInTheHoleAndReached() throws Exception {
        List<String> accesses = new ArrayList<>();
        BusDevice device = new BusDevice() {
            @Override
            public long read(long offset, int size) {
                accesses.add("read " + offset + "/" + size);
                return 0x21;
            }

            @Override
            public void write(long offset, int size, long value) {
                accesses.add("write " + offset + "/" + size + " 0x" + Long.toHexString(value));
            }
        };
        try (Machine machine = TestMachines.raw(mmioGuest(MemoryMap.MMIO_ALLOCATION_BASE), CpuMode.LONG, 16L << 20,
                        OutputStream.nullOutputStream())
                .device(new MmioDeviceConfig("mine", device, MmioDeviceConfig.ALLOCATE, 0x100))
                .build()) {
            assertEquals(MemoryMap.MMIO_ALLOCATION_BASE, machine.mmio().find("mine").orElseThrow().range().base());
            RunResult result = machine.run(Duration.ofSeconds(60));
            assertEquals(StopCause.Kind.GUEST_EXIT, result.cause().kind(), result.summary());
            assertEquals((0x21 << 1) | 1, result.exitStatus(), result.summary());
        }
        assertEquals(List.of("write 0/4 0x1234", "read 0/4"), accesses);
    }

    @Test
    void aDeviceThatThrowsOnAReadGivesAllOnesAndTheRunTheHostFaultStatus() throws Exception {
        int faulty = PORT;
        int witness = PORT + 1;
        // Real mode: mov dx, faulty; in al, dx; mov dx, witness; out dx, al; hlt.
        byte[] guest = {(byte) 0xba, (byte) faulty, (byte) (faulty >> 8), (byte) 0xec,
            (byte) 0xba, (byte) witness, (byte) (witness >> 8), (byte) 0xee, (byte) 0xf4};
        BusDevice throwing = new BusDevice() {
            @Override
            public long read(long offset, int size) {
                throw new IllegalStateException("a bug in this device");
            }

            @Override
            public void write(long offset, int size, long value) {
            }
        };
        Recorder recorder = new Recorder();
        try (Machine machine = TestMachines.raw(guest, CpuMode.REAL, 16L << 20, OutputStream.nullOutputStream())
                .irqchip(false)
                .device(new PortDeviceConfig("faulty", throwing, faulty, 1))
                .device(new PortDeviceConfig("witness", recorder, witness, 1))
                .build()) {
            RunResult result = machine.run(Duration.ofSeconds(60));
            assertEquals(StopCause.Kind.HALT, result.cause().kind(), result.summary());
            assertEquals(1, result.hostFaults());
            assertEquals(RunResult.HOST_FAULT_STATUS, result.exitStatus());
            assertTrue(result.error());
        }
        assertEquals(1, recorder.count());
        assertEquals(0xff, recorder.last(), "the read of the faulty device came back all ones");
    }
    /**
     * docs/machine.md: all vCPUs of a raw payload start at its entry at once. With the in-kernel
     * LAPIC KVM would leave every vCPU but the BSP waiting for INIT/SIPI, so they must be runnable
     * (HostileGuestTest's race needs vCPU 1 to run, and found that they were not).
     */
    @Test
    void everyVcpuOfARawPayloadIsRunnableFromTheStart() throws Exception {
        try (Machine machine = TestMachines.builtin("hello", OutputStream.nullOutputStream()).cpus(3).build()) {
            for (int i = 0; i < 3; i++) {
                assertEquals(0, machine.vcpus().get(i).fd().getMpState(), "vCPU " + i + " KVM_MP_STATE_RUNNABLE");
            }
            RunResult result = machine.run(Duration.ofSeconds(60));
            assertEquals(1, result.exitStatus(), result.summary());
        }
    }
}
