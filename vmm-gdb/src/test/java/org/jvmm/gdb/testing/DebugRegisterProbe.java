package org.jvmm.gdb.testing;

import java.io.OutputStream;
import java.time.Duration;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.GuestDebug;
import org.jvmm.machine.CpuMode;
import org.jvmm.machine.Machine;
import org.jvmm.machine.MemoryMap;
import org.jvmm.machine.RawPayload;
import org.jvmm.machine.RunResult;

/**
 * Whether this host's KVM fires the debug registers it loads for a guest: a real-mode vCPU runs
 * {@code nop; nop; hlt} with an instruction breakpoint (DR0) on the second {@code nop}. KVM on
 * hardware stops with {@code KVM_EXIT_DEBUG}; the nested KVM under QEMU's TCG (docs/debugging.md)
 * runs on to the {@code hlt}.
 */
public final class DebugRegisterProbe {

    private static volatile String verdict;

    private DebugRegisterProbe() {}

    /**
     * Runs the probe once per JVM.
     *
     * @return null when hardware breakpoints fire, else why not (the exit the vCPU made instead)
     * @throws Exception when the machine cannot be built
     */
    public static synchronized String whyNot() throws Exception {
        if (verdict == null) {
            verdict = probe();
            System.out.println("debug-register probe: " + (verdict.isEmpty() ? "hardware breakpoints fire" : verdict));
        }
        return verdict.isEmpty() ? null : verdict;
    }

    private static String probe() throws Exception {
        byte[] code = {(byte) 0x90, (byte) 0x90, (byte) 0xf4};
        try (Machine machine = Machine.builder().memory(16L << 20).irqchip(false)
                .boot(new RawPayload(code, CpuMode.REAL, new long[0])).serial(OutputStream.nullOutputStream(), null)
                .build()) {
            machine.start(true);
            if (!machine.pause(Duration.ofSeconds(30))) {
                return "the probe's vCPU did not pause";
            }
            long[] dr = new long[8];
            dr[0] = MemoryMap.REAL_MODE_ENTRY + 1;
            dr[GuestDebug.DR7] = 1L << 1 | 1L << 10; // G0, execute, length 1; bit 10 reads as 1
            machine.whilePaused(0, fd -> {
                fd.setGuestDebug(new GuestDebug(GuestDebug.ENABLE | GuestDebug.USE_HW_BP, dr));
                return null;
            });
            machine.resume();
            RunResult result = machine.awaitEnd(Duration.ofSeconds(60));
            ExitReason reason = result.vcpuStops().get(0).reason();
            return reason == ExitReason.DEBUG ? ""
                    : "this host's KVM does not fire hardware breakpoints: a breakpoint on the second nop of "
                    + "nop; nop; hlt ended in " + reason + " instead of KVM_EXIT_DEBUG";
        }
    }
}
