package org.jvmm.example.minimal;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestRam;

/** A complete VMM on vmm-core alone: one vCPU in real mode printing through port 0x3f8. */
public final class MinimalVmm {

    private static final long CODE = 0x7c00;
    private static final long TEXT = 0x7d00;
    private static final int SERIAL = 0x3f8;

    /** Real-mode guest: send the NUL-terminated string at 0x7d00 to port 0x3f8, then halt. */
    private static final byte[] GUEST = {
        (byte) 0xbe, 0x00, 0x7d,        //     mov  si, 0x7d00
        (byte) 0xba, (byte) 0xf8, 0x03, //     mov  dx, 0x3f8
        (byte) 0xfc,                    //     cld
        (byte) 0xac,                    // 1:  lodsb              ; al = [si++]
        (byte) 0x84, (byte) 0xc0,       //     test al, al
        0x74, 0x03,                     //     jz   2f
        (byte) 0xee,                    //     out  dx, al        ; exits to the VMM
        (byte) 0xeb, (byte) 0xf8,       //     jmp  1b
        (byte) 0xf4,                    // 2:  hlt                ; exits too: no irqchip
    };

    private MinimalVmm() {}

    public static void main(String[] args) {
        System.exit(run("Hello from a jvmm guest!\n", System.out));
    }

    /**
     * Boots the guest and copies what it writes to port 0x3f8 to {@code out}.
     *
     * @param text what the guest prints
     * @param out  where it goes
     * @return 0 when the guest halted, 1 on any other exit
     */
    public static int run(String text, PrintStream out) {
        try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm()) {
            GuestRam ram = GuestRam.allocate(1 << 20);          // 1 MiB at guest address 0
            vm.addRam(ram);                                     // the VM unmaps it when it closes
            ram.memory().write(CODE, GUEST);
            ram.memory().write(TEXT, (text + "\0").getBytes(StandardCharsets.US_ASCII));
            VcpuFd vcpu = vm.createVcpu(0);
            X86Setup.realMode(vcpu, 0, CODE, 0x7000);           // cs = ds = ss = 0, ip = 0x7c00
            KvmRun run = vcpu.kvmRun();
            while (true) {
                switch (vcpu.run()) {                           // one KVM_RUN
                    case IO -> {
                        if (run.ioDirection() == KvmRun.IO_OUT && run.ioPort() == SERIAL) {
                            for (int i = 0; i < run.ioCount(); i++) {
                                out.print((char) run.ioValue(i));
                            }
                        }
                    }
                    case HLT -> {
                        out.flush();
                        return 0;
                    }
                    case INTR -> { }                            // a signal: just run again
                    default -> {
                        out.println("unexpected exit " + run.exitReason() + " (" + run.exitReasonCode() + ")");
                        return 1;
                    }
                }
            }
        }
    }
}
