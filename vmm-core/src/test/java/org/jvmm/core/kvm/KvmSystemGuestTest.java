package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.jvmm.core.kvm.abi.KvmIoctls;
import org.jvmm.core.kvm.abi.KvmLayouts;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Errno;
import org.jvmm.core.sys.Libc;
import org.jvmm.core.testing.RequiresKvm;
import org.junit.jupiter.api.Test;

/** System-level KVM queries and fd ownership, on the real /dev/kvm. */
@RequiresKvm
class KvmSystemGuestTest {

    private static String fdTarget(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return "(closed)";
        }
    }

    @Test
    void apiVersionIsTwelveAndTheRunMappingHoldsKvmRun() {
        try (Kvm kvm = Kvm.open()) {
            CallState state = CallState.current();
            assertEquals(Kvm.API_VERSION, Libc.ioctl(state, kvm.fd(), KvmIoctls.GET_API_VERSION, 0L));
            assertTrue(kvm.vcpuMmapSize() >= KvmLayouts.RUN.byteSize(), "mmap size " + kvm.vcpuMmapSize());
            assertEquals(0, kvm.vcpuMmapSize() % 4096);
        }
    }

    @Test
    void openingANodeThatIsNotKvmNamesThePathAndErrno() {
        KvmException e = assertThrows(KvmException.class, () -> Kvm.open(Path.of("/nonexistent/kvm")));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/nonexistent/kvm") && e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void picVectorBasesAreSetAndReadBackThroughKvm() {
        try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm()) {
            vm.createIrqChip();
            assertEquals(0, vm.picVectorBase(VmFd.PIC_MASTER), "KVM creates the PICs with base 0");
            assertEquals(0, vm.picVectorBase(VmFd.PIC_SLAVE));
            vm.setPicVectorBase(VmFd.PIC_MASTER, 0x08);
            vm.setPicVectorBase(VmFd.PIC_SLAVE, 0x70);
            assertEquals(0x08, vm.picVectorBase(VmFd.PIC_MASTER));
            assertEquals(0x70, vm.picVectorBase(VmFd.PIC_SLAVE), "each chip its own");
            assertThrows(IllegalArgumentException.class, () -> vm.setPicVectorBase(VmFd.PIC_MASTER, 0x73));
            assertThrows(IllegalArgumentException.class, () -> vm.picVectorBase(2), "chip 2 is the IOAPIC");
        }
    }

    @Test
    void capabilitiesJvmmReliesOnArePresent() {
        try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm()) {
            for (Capability c : new Capability[] {Capability.USER_MEMORY, Capability.IMMEDIATE_EXIT,
                    Capability.IRQCHIP, Capability.IOEVENTFD, Capability.IRQFD, Capability.BINARY_STATS_FD}) {
                assertTrue(kvm.checkExtension(c) > 0, c + " missing");
            }
            assertTrue(kvm.checkExtension(Capability.NR_MEMSLOTS) >= 32);
            int recommended = kvm.checkExtension(Capability.NR_VCPUS);
            assertTrue(recommended >= 1 && kvm.checkExtension(Capability.MAX_VCPUS) >= recommended);
            assertTrue(vm.checkExtension(Capability.USER_MEMORY) > 0, "VM-level check");
        }
    }

    @Test
    void supportedCpuidHasTheVendorAndLongMode() {
        try (Kvm kvm = Kvm.open()) {
            Cpuid cpuid = kvm.supportedCpuid();
            assertTrue(cpuid.entries().size() > 5, "only " + cpuid.entries().size() + " leaves");
            CpuidEntry leaf0 = cpuid.find(0, 0);
            assertNotNull(leaf0);
            assertTrue(leaf0.eax() >= 1, "max basic leaf");
            byte[] vendor = new byte[12];
            for (int i = 0; i < 4; i++) {
                vendor[i] = (byte) (leaf0.ebx() >>> (8 * i));
                vendor[4 + i] = (byte) (leaf0.edx() >>> (8 * i));
                vendor[8 + i] = (byte) (leaf0.ecx() >>> (8 * i));
            }
            String name = new String(vendor, StandardCharsets.US_ASCII);
            assertTrue(name.matches("[A-Za-z ]{12}"), "vendor '" + name + "'");
            assertNotNull(cpuid.find(1, 0));
            assertTrue(X86SetupFacts.hasLongMode(cpuid), "CPUID 0x80000001 EDX.LM");
        }
    }

    /** A local helper so this test does not depend on the arch package's choices. */
    static final class X86SetupFacts {
        static boolean hasLongMode(Cpuid cpuid) {
            CpuidEntry ext = cpuid.find(0x8000_0001, 0);
            return ext != null && (ext.edx() & (1 << 29)) != 0;
        }
    }

    @Test
    void msrListHasTheTscAndMsrsRoundTrip() {
        try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm()) {
            int[] msrs = kvm.msrIndexList();
            assertTrue(msrs.length > 10, "only " + msrs.length + " MSRs");
            assertTrue(Arrays.stream(msrs).anyMatch(m -> m == 0x10), "IA32_TSC");
            assertTrue(Arrays.stream(msrs).anyMatch(m -> m == 0xc000_0081), "STAR");
            VcpuFd vcpu = vm.createVcpu(0);
            long star = 0x0023_0010_0000_0000L;
            vcpu.setMsrs(new int[] {0xc000_0081}, new long[] {star});
            assertEquals(star, vcpu.getMsr(0xc000_0081));
            assertThrows(KvmException.class, () -> vcpu.getMsr(0x4b56_ffff), "an MSR nobody has");
        }
    }

    @Test
    void closingTheVmClosesItsVcpusUnmapsRamAndIsIdempotent() {
        Kvm kvm = Kvm.open();
        VmFd vm = kvm.createVm();
        GuestRam ram = GuestRam.allocate(1 << 20);
        vm.addRam(ram);
        GuestMemory memory = ram.memory();
        VcpuFd a = vm.createVcpu(0);
        VcpuFd b = vm.createVcpu(1);
        int vmFd = vm.fd();
        int fdA = a.fd();
        int fdB = b.fd();
        assertTrue(fdTarget(vmFd).contains("kvm-vm"), fdTarget(vmFd));
        assertTrue(fdTarget(fdA).contains("kvm-vcpu:0"), fdTarget(fdA));
        assertTrue(fdTarget(fdB).contains("kvm-vcpu:1"), fdTarget(fdB));
        assertEquals(2, vm.vcpus().size());

        vm.close();

        for (int fd : new int[] {vmFd, fdA, fdB}) {
            assertFalse(fdTarget(fd).contains("kvm"), "fd " + fd + " still open: " + fdTarget(fd));
        }
        assertThrows(IllegalStateException.class, a::fd);
        assertThrows(IllegalStateException.class, vm::fd);
        assertThrows(IllegalStateException.class, () -> a.kvmRun().exitReasonCode(), "kvm_run is unmapped");
        assertThrows(IllegalStateException.class, () -> memory.readByte(0), "RAM is unmapped");
        assertDoesNotThrow(vm::close);
        assertDoesNotThrow(a::close);
        assertDoesNotThrow(ram::close);
        kvm.close();
        assertDoesNotThrow(kvm::close);
    }
}
