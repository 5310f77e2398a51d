package org.jvmm.devices.fwcfg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;

/**
 * QEMU's firmware configuration device ({@code fw_cfg}), its traditional port interface as on a PC:
 * a 16-bit write to the selector port 0x510 selects an item and rewinds it; each 8-bit read of the
 * data port 0x511 returns the item's next byte, and 0 past its end or for an item that does not exist.
 * Items are immutable blobs fixed when the machine is built ({@link Builder}); numbers in the
 * well-known items are little-endian. No DMA interface (the {@link #ID} item says so), and data writes
 * are ignored, as in QEMU since 2.4.
 *
 * <p>What the guest controls is the selector and how far it has read: a selector past every item
 * selects nothing, reads past an item's end return 0, and any other access width is dropped (writes)
 * or reads as all ones, as an undecoded port. Two vCPUs reading at once see each other's progress, as
 * on QEMU without the guest's lock; each read is bounds-checked against the item it reads.
 */
public final class FwCfg implements BusDevice {

    /** Ports to register: the selector and the data port (the machine places them, at 0x510 on a PC). */
    public static final int PORTS = 2;
    /** Offset of the 16-bit selector register. */
    public static final int SELECTOR = 0;
    /** Offset of the 8-bit data register. */
    public static final int DATA = 1;

    /** Item: the signature "QEMU". */
    public static final int SIGNATURE = 0x00;
    /** Item: the interface bits, 32-bit (bit 0 traditional interface, bit 1 DMA). */
    public static final int ID = 0x01;
    /** Item: the machine's UUID, 16 bytes. */
    public static final int UUID = 0x02;
    /** Item: the RAM size in bytes, 64-bit. */
    public static final int RAM_SIZE = 0x03;
    /** Item: 1 when the machine has no display, 16-bit. */
    public static final int NOGRAPHIC = 0x04;
    /** Item: the number of vCPUs started at boot, 16-bit. */
    public static final int NB_CPUS = 0x05;
    /** Item: the most vCPUs the machine can have, 16-bit. */
    public static final int MAX_CPUS = 0x0f;
    /** Item: the file directory, a big-endian count followed by file entries. */
    public static final int FILE_DIR = 0x19;
    /** Selector bit of architecture-specific items. */
    public static final int ARCH_LOCAL = 0x8000;
    /** Selector bit that once asked for a write channel; ignored. */
    public static final int WRITE_CHANNEL = 0x4000;
    /** The signature's bytes. */
    public static final byte[] SIGNATURE_BYTES = "QEMU".getBytes(StandardCharsets.US_ASCII);
    /** ID's value: the traditional port interface, no DMA. */
    public static final int ID_TRADITIONAL = 1;

    private static final byte[] NOTHING = new byte[0];

    private final int[] keys;
    private final byte[][] items;
    private byte[] selected = NOTHING;
    private int position;

    private FwCfg(Map<Integer, byte[]> entries) {
        keys = entries.keySet().stream().mapToInt(Integer::intValue).toArray();
        items = entries.values().toArray(byte[][]::new);
    }

    /** {@return a builder with the signature, ID, UUID (all zero), NOGRAPHIC and an empty file directory} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * An item's bytes.
     *
     * @param key the selector (the write-channel bit ignored)
     * @return a copy of its bytes, or an empty array if there is no such item
     */
    public byte[] item(int key) {
        int i = Arrays.binarySearch(keys, key & ~WRITE_CHANNEL & 0xffff);
        return i < 0 ? NOTHING : items[i].clone();
    }

    @Override
    public long read(long offset, int size) {
        if (size != 1) {
            return Bus.allOnes(Math.clamp(size, 1, 8));
        }
        byte[] item = selected;
        int at = position;
        if (at >= item.length) {
            return 0;
        }
        position = at + 1;
        return item[at] & 0xff;
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset == SELECTOR && size == 2) {
            int i = Arrays.binarySearch(keys, (int) value & ~WRITE_CHANNEL & 0xffff);
            selected = i < 0 ? NOTHING : items[i];
            position = 0;
        }
    }

    @Override
    public String toString() {
        return "fw_cfg (" + keys.length + " items)";
    }

    /** Collects the items of a {@link FwCfg}. */
    public static final class Builder {

        private final Map<Integer, byte[]> entries = new TreeMap<>();

        private Builder() {
            entries.put(SIGNATURE, SIGNATURE_BYTES.clone());
            entries.put(ID, le(ID_TRADITIONAL, 4));
            entries.put(UUID, new byte[16]);
            entries.put(NOGRAPHIC, le(1, 2));
            entries.put(FILE_DIR, new byte[4]);
        }

        /**
         * Sets {@link #RAM_SIZE}.
         *
         * @param bytes the guest's RAM in bytes, all regions together
         * @return this
         */
        public Builder ramSize(long bytes) {
            return item(RAM_SIZE, le(bytes, 8));
        }

        /**
         * Sets {@link #NB_CPUS} and {@link #MAX_CPUS}.
         *
         * @param boot the vCPUs the machine starts (kvm-unit-tests waits for exactly this many)
         * @param max  the most it could have, at least {@code boot}
         * @return this
         */
        public Builder cpus(int boot, int max) {
            if (boot < 1 || max < boot || max > 0xffff) {
                throw new IllegalArgumentException(boot + " boot vCPUs of at most " + max);
            }
            item(NB_CPUS, le(boot, 2));
            return item(MAX_CPUS, le(max, 2));
        }

        /**
         * Sets any item.
         *
         * @param key   the selector, without the write-channel bit
         * @param bytes its contents (copied)
         * @return this
         */
        public Builder item(int key, byte[] bytes) {
            if (key < 0 || key > 0xffff || (key & WRITE_CHANNEL) != 0) {
                throw new IllegalArgumentException("fw_cfg selector 0x" + Integer.toHexString(key));
            }
            entries.put(key, bytes.clone());
            return this;
        }

        /** {@return the device} */
        public FwCfg build() {
            return new FwCfg(entries);
        }

        private static byte[] le(long value, int width) {
            return Arrays.copyOf(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value).array(), width);
        }
    }
}
