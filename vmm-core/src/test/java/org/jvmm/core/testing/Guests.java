package org.jvmm.core.testing;

import java.util.concurrent.TimeoutException;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.core.vcpu.VcpuStop;

/** Hand-assembled guest code shared by the KVM tests, and a way to run a vCPU to its end. */
public final class Guests {
    /** How long a guest in these tests may take; nested KVM under TCG is slow. */
    public static final long TIMEOUT_MILLIS = 60_000;

    private Guests() {}

    /**
     * Real mode: writes {@code count} bytes to {@code port}, the first {@code first} and each one
     * more than the last, then halts. Exactly {@code count} IO exits and one HLT exit.
     *
     * @param port  the port, below 256
     * @param first the first value
     * @param count 1 to 65535
     * @return the code
     */
    public static byte[] outLoop(int port, int first, int count) {
        return new byte[] {
            (byte) 0xb0, (byte) first,                        //     mov al, first
            (byte) 0xb9, (byte) count, (byte) (count >>> 8),  //     mov cx, count
            (byte) 0xe6, (byte) port,                         // 1:  out port, al
            (byte) 0xfe, (byte) 0xc0,                         //     inc al
            (byte) 0x49,                                      //     dec cx
            (byte) 0x75, (byte) 0xf9,                         //     jnz 1b
            (byte) 0xf4,                                      //     hlt
        };
    }

    /** Real mode or any mode: {@code jmp $}, a loop that never exits. */
    public static final byte[] SPIN = {(byte) 0xeb, (byte) 0xfe};

    /**
     * Runs a vCPU on its own thread until it stops, and closes it.
     *
     * @param vcpu the vCPU, not started
     * @return why it stopped
     */
    public static VcpuStop runToEnd(Vcpu vcpu) {
        try (vcpu) {
            return vcpu.start().await(TIMEOUT_MILLIS);
        } catch (TimeoutException e) {
            throw new AssertionError("guest did not stop within " + TIMEOUT_MILLIS + " ms", e);
        }
    }
}
