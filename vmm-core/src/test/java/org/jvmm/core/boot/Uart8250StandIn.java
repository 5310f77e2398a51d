package org.jvmm.core.boot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.jvmm.core.bus.BusDevice;

/**
 * Just enough of an 8250 for Linux's earlyprintk and its 8250 driver's probe, output only: the
 * transmitter is always empty (LSR THRE|TEMT), IIR says no interrupt pending (so the driver falls back
 * to polling), IER/LCR/MCR/SCR and the divisor latch read back what was written, MSR follows MCR in
 * loopback. The real UART lives in vmm-devices, which vmm-core's tests cannot use.
 */
final class Uart8250StandIn implements BusDevice {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int dll;
    private int dlm;

    @Override
    public synchronized long read(long offset, int size) {
        boolean dlab = (lcr & 0x80) != 0;
        return switch ((int) offset) {
            case 0 -> dlab ? dll : 0;
            case 1 -> dlab ? dlm : ier;
            case 2 -> 0x01;
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> 0x60;
            case 6 -> (mcr & 0x10) != 0
                    ? ((mcr & 0x02) << 3) | ((mcr & 0x01) << 5) | ((mcr & 0x04) << 4) | ((mcr & 0x08) << 4)
                    : 0xb0;
            case 7 -> scr;
            default -> 0xff;
        };
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int v = (int) (value & 0xff);
        boolean dlab = (lcr & 0x80) != 0;
        switch ((int) offset) {
            case 0 -> {
                if (dlab) {
                    dll = v;
                } else if ((mcr & 0x10) == 0) {
                    out.write(v);
                }
            }
            case 1 -> {
                if (dlab) {
                    dlm = v;
                } else {
                    ier = v & 0x0f;
                }
            }
            case 3 -> lcr = v;
            case 4 -> mcr = v & 0x1f;
            case 7 -> scr = v;
            default -> { }
        }
    }

    synchronized String output() {
        return out.toString(StandardCharsets.ISO_8859_1);
    }
}
