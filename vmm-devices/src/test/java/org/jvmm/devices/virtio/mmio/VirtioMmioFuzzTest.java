package org.jvmm.devices.virtio.mmio;

import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.jvmm.core.irq.InterruptLine;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;
import org.jvmm.devices.virtio.DeviceStatus;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.VirtioObserver;
import org.jvmm.devices.virtio.blk.VirtioBlock;
import org.jvmm.devices.virtio.console.VirtioConsole;
import org.jvmm.devices.virtio.rng.VirtioRng;

/**
 * Fuzzes the virtio-mmio register file with console, blk and rng behind it: the input is a guest
 * memory image and a sequence of register reads and writes (plus, to get past feature negotiation
 * quickly, an optional well-behaved bring-up with fuzzed ring addresses). Nothing may throw to the
 * caller, and no device may fail for a reason other than the guest's (the transport reports host
 * faults as "device failed" / "activation failed").
 */
class VirtioMmioFuzzTest {

    private static final long RAM = 0x1_0000;
    private static final MemorySegment SEGMENT = Arena.global().allocate(RAM, 4096);
    private static final RegionGuestMemory MEMORY = new RegionGuestMemory(List.of(new GuestRegion(0, SEGMENT)));

    private static final int[] REGISTERS = {
        0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038, 0x044, 0x050, 0x060,
        0x064, 0x070, 0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0b0, 0x0b4, 0x0b8, 0x0bc, 0x0fc,
    };
    private static final int[] SIZES = {4, 4, 4, 1, 2, 8};

    private static final VirtioConsole CONSOLE = VirtioConsole.toStream(OutputStream.nullOutputStream());
    private static final VirtioBlock BLOCK = openBlock();

    private static VirtioBlock openBlock() {
        try {
            Path image = Files.createTempFile("jvmm-fuzz-mmio", ".img");
            image.toFile().deleteOnExit();
            Files.write(image, new byte[16 * 512]);
            return VirtioBlock.open(image, false, "fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void registerFile(FuzzedDataProvider data) {
        SEGMENT.fill((byte) 0);
        VirtioDevice device = switch (data.consumeInt(0, 2)) {
            case 0 -> CONSOLE;
            case 1 -> BLOCK;
            default -> new VirtioRng(new Random(1));
        };
        device.reset();
        VirtioMmioTransport transport = new VirtioMmioTransport(device, MEMORY, InterruptLine.NONE, new HostFaults());

        if (data.consumeBoolean()) {
            bringUp(transport, device, data);
        }
        int ops = data.consumeInt(0, 48);
        long[][] steps = new long[ops][];
        for (int i = 0; i < ops; i++) {
            steps[i] = new long[] {data.consumeInt(0, 7), data.consumeLong(), data.consumeLong()};
        }
        byte[] image = data.consumeRemainingAsBytes();
        MemorySegment.copy(image, 0, SEGMENT, ValueLayout.JAVA_BYTE, 0, (int) Math.min(image.length, RAM));

        for (long[] s : steps) {
            step(transport, (int) s[0], s[1], s[2]);
        }
    }

    /** A driver doing things in the right order: reset, features, every queue, DRIVER_OK. */
    private static void bringUp(VirtioMmioTransport t, VirtioDevice device, FuzzedDataProvider data) {
        t.write(0x070, 4, 0);
        t.write(0x070, 4, DeviceStatus.ACKNOWLEDGE);
        t.write(0x070, 4, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
        long offered = 0;
        for (int sel = 0; sel < 2; sel++) {
            t.write(0x014, 4, sel);
            offered |= t.read(0x010, 4) << (32 * sel);
        }
        long accepted = offered & data.consumeLong();
        for (int sel = 0; sel < 2; sel++) {
            t.write(0x024, 4, sel);
            t.write(0x020, 4, (int) (accepted >>> (32 * sel)));
        }
        t.write(0x070, 4, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
        for (int q = 0; q < device.queueCount(); q++) {
            t.write(0x030, 4, q);
            t.write(0x038, 4, 1 << data.consumeInt(0, 8));
            // Small offsets keep the rings in the part of the image that short inputs fill.
            t.write(0x080, 4, data.consumeInt(0, 0xff) * 16);
            t.write(0x090, 4, data.consumeInt(0, 0x1ff) * 2);
            t.write(0x0a0, 4, data.consumeInt(0, 0xff) * 4);
            t.write(0x044, 4, 1);
        }
        t.write(0x070, 4, t.status() | DeviceStatus.DRIVER_OK);
    }

    private static void step(VirtioMmioTransport t, int op, long a, long b) {
        int value = (int) b;
        switch (op) {
            case 0, 1 -> t.write(REGISTERS[Math.floorMod(a, REGISTERS.length)], 4, value);
            case 2 -> t.read(REGISTERS[Math.floorMod(a, REGISTERS.length)], 4);
            case 3 -> t.write(0x100 + Math.floorMod(a, 0x80), SIZES[Math.floorMod(a >>> 32, SIZES.length)], b);
            case 4 -> t.read(0x100 + Math.floorMod(a, 0x80), SIZES[Math.floorMod(a >>> 32, SIZES.length)]);
            case 5 -> {
                if ((a & 1) == 0) {
                    t.write(a >> 1, (int) (b >>> 32), value);
                } else {
                    t.read(a >> 1, (int) (b >>> 32));
                }
            }
            case 6 -> t.write(0x050, 4, Math.floorMod(a, 3));
            default -> {
                // The guest rewrites ring memory between notifications; the console also gets input.
                MEMORY.writeShort(Math.floorMod(a, 0x1000) & ~1, (short) b);
                if (t.device() == CONSOLE) {
                    CONSOLE.offer(new byte[] {(byte) a, (byte) b}, 0, 2);
                }
            }
        }
    }

    /** Fails the run when a device breaks for a host reason: a bug, not a hostile guest. */
    private static final class HostFaults implements VirtioObserver {
        @Override
        public void deviceError(String message) {
            if (message.contains("device failed:") || message.startsWith("activation failed")) {
                fail(message);
            }
        }
    }
}
