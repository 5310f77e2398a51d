package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import org.jvmm.core.bus.BusDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the builder refuses before it touches KVM, each with a message in the machine's terms. A
 * KVM node that does not exist stands for a host without KVM: a description that gets as far as
 * opening it was accepted.
 */
class MachineBuilderTest {

    private static final byte[] HLT = {(byte) 0xf4};
    private static final BusDevice NOTHING = new BusDevice() {
        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
        }
    };

    @TempDir
    Path tmp;

    private MachineBuilder builder() {
        return Machine.builder().kvmDevice(tmp.resolve("no-kvm")).boot(RawPayload.longMode(HLT));
    }

    private static String refused(MachineBuilder builder) {
        return assertThrows(MachineConfigException.class, builder::build).getMessage();
    }

    @Test
    void aMachineNeedsSomethingToBoot() {
        assertEquals("the machine has nothing to boot: give it a raw payload or a kernel",
                refused(Machine.builder().kvmDevice(tmp.resolve("no-kvm"))));
    }

    @Test
    void memoryAndCpuCountsAreCheckedWhereTheyAreSet() {
        assertEquals("guest memory must be a multiple of 4 KiB of at least 4 MiB, not 1048576 bytes",
                assertThrows(MachineConfigException.class, () -> builder().memory(1 << 20)).getMessage());
        assertEquals("guest memory must be a multiple of 4 KiB of at least 4 MiB, not 67108865 bytes",
                assertThrows(MachineConfigException.class, () -> builder().memory((64L << 20) + 1)).getMessage());
        assertEquals("a machine has 1 to 64 vCPUs, not 0",
                assertThrows(MachineConfigException.class, () -> builder().cpus(0)).getMessage());
        assertEquals("a machine has 1 to 64 vCPUs, not 65",
                assertThrows(MachineConfigException.class, () -> builder().cpus(65)).getMessage());
    }

    @Test
    void rawLongModeStacksLimitTheVcpus() {
        assertEquals("a raw long-mode payload has stacks for 31 vCPUs at most, not 32", refused(builder().cpus(32)));
    }

    @Test
    void aPayloadMustFitWhereItsModeLoadsIt() {
        assertEquals("the payload is empty",
                assertThrows(MachineConfigException.class, () -> RawPayload.longMode(new byte[0])).getMessage());
        assertEquals("the payload (4194304 bytes at 0x200000) does not fit in RAM of 4194304 bytes",
                refused(builder().memory(4L << 20).boot(RawPayload.longMode(new byte[4 << 20]))));
        assertEquals("the payload (655361 bytes at 0x7c00) does not fit in the real-mode first MiB",
                refused(builder().boot(new RawPayload(new byte[0xa0001], CpuMode.REAL, new long[0]))));
        assertEquals("a raw payload takes at most 16 arguments, not 17",
                assertThrows(MachineConfigException.class, () -> RawPayload.longMode(HLT, new long[17])).getMessage());
    }

    @Test
    void interruptsNeedTheIrqchipAndLinuxNeedsIt() {
        assertEquals("virtio-rng in slot 0: interrupt IRQFD needs the in-kernel irqchip",
                refused(builder().irqchip(false).device(new VirtioRngConfig(VirtioPaths.DEFAULT.withInterrupt(Interrupt.IRQFD)))));
        assertEquals("virtio-console in slot 1: interrupt LINE needs the in-kernel irqchip",
                refused(builder().irqchip(false).device(new VirtioRngConfig(VirtioPaths.DEFAULT))
                        .device(new VirtioConsoleConfig(java.io.OutputStream.nullOutputStream(),
                                VirtioPaths.DEFAULT.withInterrupt(Interrupt.LINE)))));
        assertEquals("a kernel (Linux or Multiboot) needs the in-kernel irqchip",
                refused(builder().irqchip(false).boot(KernelBoot.of(tmp.resolve("vmlinux"), null, ""))));
    }

    @Test
    void aKernelFileIsToldByItsFormatBeforeKvmIsOpened() throws IOException {
        // A Multiboot magic with a checksum that does not add up, in a file that is no ELF64 vmlinux.
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        header.putInt(64, 0x1bad_b002).putInt(68, 0).putInt(72, 1);
        Path broken = java.nio.file.Files.write(tmp.resolve("broken.elf"), header.array());
        assertEquals("kernel " + broken + ": the multiboot header's checksum is wrong: magic + flags + checksum must be 0 (mod 2^32)",
                refused(builder().boot(KernelBoot.of(broken, null, ""))).replaceAll(" \\(mod 2\\^32\\):.*", " (mod 2^32)"));
        Path text = java.nio.file.Files.writeString(tmp.resolve("notes.txt"), "not a kernel at all");
        assertEquals("kernel " + text + ": not a kernel jvmm boots: no bzImage 'HdrS' header, no Multiboot header and no ELF magic: "
                + "a file of 19 bytes", refused(builder().boot(KernelBoot.of(text, null, ""))));
        assertEquals("--cpu: unknown CPU model 'qemu64': jvmm offers 'host' (KVM's supported CPUID), optionally followed by "
                + ",+feature or ,-feature", assertThrows(IllegalArgumentException.class,
                        () -> builder().cpu(org.jvmm.core.arch.CpuFeatures.parse("qemu64"))).getMessage());
    }

    @Test
    void slotsAndTheAtaDeviceAreCounted() {
        MachineBuilder many = builder();
        for (int i = 0; i <= MemoryMap.MAX_VIRTIO_SLOTS; i++) {
            many.device(new VirtioRngConfig(VirtioPaths.DEFAULT));
        }
        assertEquals("a machine has 19 virtio slots, not 20 virtio devices", refused(many));
        assertEquals("a machine has one ata-pio device at most", refused(builder()
                .device(new AtaPioConfig(tmp.resolve("a"), true)).device(new AtaPioConfig(tmp.resolve("b"), true))));
    }

    @Test
    void callersDevicesMustFitTheirSpace() {
        assertEquals("port device odd: 2 ports at 0xffff do not fit in ports 0-0xffff",
                assertThrows(MachineConfigException.class, () -> new PortDeviceConfig("odd", NOTHING, 0xffff, 2)).getMessage());
        assertEquals("MMIO device empty: 0 bytes at 0xe0000000 is not a range of guest-physical addresses",
                assertThrows(MachineConfigException.class,
                        () -> new MmioDeviceConfig("empty", NOTHING, 0xe000_0000L, 0)).getMessage());
    }

    @Test
    void aGoodDescriptionGetsAsFarAsKvm() {
        // Every check passed: the next step opens the KVM node, which this host's test does not have.
        IOException missing = assertThrows(IOException.class, () -> {
            try {
                builder().device(new PortDeviceConfig("mine", NOTHING, PortDeviceConfig.ALLOCATE, 4)).build().close();
            } catch (org.jvmm.core.kvm.KvmException e) {
                throw new IOException(e.getMessage(), e);
            }
        });
        assertEquals("open " + tmp.resolve("no-kvm") + " failed: ENOENT (No such file or directory)", missing.getMessage());
    }
}
