package org.jvmm.core.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IoctlTest {

    @Test
    void encodesLikeTheKernelMacros() {
        // Values from <linux/kvm.h> as printed by a C program on x86-64.
        assertEquals(0xAE00L, Ioctl.io(0xAE, 0x00));          // KVM_GET_API_VERSION
        assertEquals(0xAE80L, Ioctl.io(0xAE, 0x80));          // KVM_RUN
        assertEquals(0x8090AE81L, Ioctl.ior(0xAE, 0x81, 144)); // KVM_GET_REGS
        assertEquals(0x4090AE82L, Ioctl.iow(0xAE, 0x82, 144)); // KVM_SET_REGS
        assertEquals(0x4020AE46L, Ioctl.iow(0xAE, 0x46, 32));  // KVM_SET_USER_MEMORY_REGION
        assertEquals(0xC008AE05L, Ioctl.iowr(0xAE, 0x05, 8));  // KVM_GET_SUPPORTED_CPUID
    }

    @Test
    void fieldsLandInTheirBits() {
        long request = Ioctl.iowr(0x12, 0x34, 0x3fff);
        assertEquals(3, request >>> 30);
        assertEquals(0x3fff, (request >>> 16) & 0x3fff);
        assertEquals(0x12, (request >>> 8) & 0xff);
        assertEquals(0x34, request & 0xff);
        assertEquals(0, request >>> 32, "a request fits in 32 bits");
    }

    @Test
    void sizesThatDoNotFitFourteenBitsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Ioctl.ior(0xAE, 1, 1 << 14));
        assertThrows(IllegalArgumentException.class, () -> Ioctl.iow(0xAE, 1, -1));
    }
}
