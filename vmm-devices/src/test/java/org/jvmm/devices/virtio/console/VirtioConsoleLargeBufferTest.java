package org.jvmm.devices.virtio.console;

import static org.jvmm.devices.virtio.DriverQueue.ro;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.MmioDriver;
import org.jvmm.devices.virtio.TestGuest;

/**
 * A transmit descriptor may be up to 2^32 - 1 bytes long, and with 3 GiB of RAM or more one that
 * long fits in one region. A {@link ByteBuffer} holds at most 2^31 - 1 bytes: the console must
 * send such a buffer in pieces, not fail on the host (and again after every reset). The guest's
 * RAM here is sparse, {@code MAP_NORESERVE} as a VM's is, and the output channel looks at each
 * piece's first and last byte only, so gigabytes cost a few pages.
 */
class VirtioConsoleLargeBufferTest {

    private static final long RAM = 5L << 30;
    private static final long BUFFER = 1L << 28;

    /** Consumes every piece, reading only its first and last byte. */
    private static final class Sink implements WritableByteChannel {
        long total;
        long largest;
        byte first;
        byte last;

        void clear() {
            total = 0;
            largest = 0;
            first = 0;
            last = 0;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            if (n > 0) {
                if (total == 0) {
                    first = src.get(src.position());
                }
                last = src.get(src.limit() - 1);
            }
            total += n;
            largest = Math.max(largest, n);
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    @ParameterizedTest(name = "one descriptor of 0x{0} bytes")
    @ValueSource(longs = {0x7FFF_FFFFL, 0x8000_0000L, 0x8000_0001L, 0xFFFF_FFFFL})
    void aHugeDescriptorIsSentWholeInPieces(long length) {
        try (TestGuest guest = TestGuest.sparse(RAM)) {
            Sink sink = new Sink();
            MmioDriver driver = new MmioDriver(guest, new VirtioConsole(sink, 80, 25));
            for (int round = 0; round < 2; round++) {
                driver.negotiateAll(); // a reset first: the second round runs after one
                driver.setupQueue(VirtioConsole.RECEIVEQ, 16);
                DriverQueue tx = driver.setupQueue(VirtioConsole.TRANSMITQ, 16);
                driver.driverOk();
                guest.memory.writeByte(BUFFER, (byte) 'A');
                guest.memory.writeByte(BUFFER + length - 1, (byte) 'Z');
                sink.clear();
                int head = tx.add(ro(BUFFER, length));
                driver.notify(VirtioConsole.TRANSMITQ);

                assertFalse(driver.needsReset(), "round " + round + ": the device failed");
                assertEquals(0, driver.transport.hostFaults(), "round " + round + ": a fault on the host");
                assertArrayEquals(new int[] {head, 0}, tx.takeUsed()[0]);
                assertEquals(length, sink.total, "every byte went out once");
                assertEquals('A', sink.first);
                assertEquals('Z', sink.last);
                assertTrue(sink.largest <= Integer.MAX_VALUE);
                assertEquals(length, driver.observer.chains.get(round)[1]);
            }
        }
    }
}
