package org.jvmm.devices.virtio.rng;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.devices.virtio.AbstractVirtioDevice;
import org.jvmm.devices.virtio.ConfigSpace;
import org.jvmm.devices.virtio.VirtioContext;
import org.jvmm.devices.virtio.queue.DescriptorChain;
import org.jvmm.devices.virtio.queue.Virtqueue;

/**
 * virtio-rng (device id 4, VIRTIO 1.2 section 5.4): one request queue whose device-writable
 * buffers are filled with random bytes. At most {@link #MAX_BYTES_PER_CHAIN} bytes go into one
 * chain, which the specification allows (the used length says how many), so a guest asking for
 * gigabytes cannot hold the vCPU thread.
 */
public final class VirtioRng extends AbstractVirtioDevice {

    /** virtio device id of an entropy source. */
    public static final int DEVICE_ID = 4;
    /** Maximum size of the request queue. */
    public static final int QUEUE_SIZE = 256;
    /** The most bytes written into one chain. */
    public static final int MAX_BYTES_PER_CHAIN = 64 * 1024;

    private final RandomGenerator random;
    private final byte[] chunk = new byte[4096];

    /** Creates an entropy device fed by a {@link SecureRandom}. */
    public VirtioRng() {
        this(new SecureRandom());
    }

    /**
     * Creates an entropy device with a given source (a seeded one in tests).
     *
     * @param random the source
     */
    public VirtioRng(RandomGenerator random) {
        super(DEVICE_ID, 0, ConfigSpace.EMPTY, QUEUE_SIZE);
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    protected void process(VirtioContext c, int queue) {
        Virtqueue q = c.queue(queue);
        GuestMemory memory = c.memory();
        DescriptorChain chain;
        while ((chain = q.pop()) != null) {
            int written = 0;
            while (written < MAX_BYTES_PER_CHAIN && chain.next()) {
                if (!chain.isWriteOnly()) {
                    continue;
                }
                int n = (int) Math.min(Integer.toUnsignedLong(chain.length()), MAX_BYTES_PER_CHAIN - written);
                if (n == 0) {
                    continue;
                }
                fill(memory.slice(chain.address(), n));
                written += n;
            }
            c.addUsed(queue, chain.head(), written, written);
        }
        c.signalUsed(queue);
    }

    private void fill(MemorySegment target) {
        long done = 0;
        while (done < target.byteSize()) {
            int n = (int) Math.min(chunk.length, target.byteSize() - done);
            random.nextBytes(chunk);
            MemorySegment.copy(chunk, 0, target, ValueLayout.JAVA_BYTE, done, n);
            done += n;
        }
    }

}
