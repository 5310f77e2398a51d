package org.jvmm.devices.virtio;

import java.util.Objects;

/**
 * A device's configuration space (VIRTIO 1.2, section 2.5): little-endian fields in a few bytes,
 * and the configuration generation, which moves with every change so a driver can tell a
 * multi-field read torn by a change. A host thread may change a field (a console resize) while a
 * vCPU reads the space; each read and each change is atomic with respect to the other.
 */
public final class ConfigSpace {

    /** A space of no bytes, for devices without configuration. */
    public static final ConfigSpace EMPTY = new ConfigSpace(0);

    private final byte[] bytes;
    private int generation;

    /**
     * Creates a space of zeroes.
     *
     * @param size its size in bytes
     * @throws IllegalArgumentException if size is negative or more than fits in the virtio-mmio window
     */
    public ConfigSpace(int size) {
        if (size < 0 || size > 0xF00) {
            throw new IllegalArgumentException("config space of " + size + " bytes");
        }
        this.bytes = new byte[size];
    }

    /** {@return the size in bytes} */
    public int size() {
        return bytes.length;
    }

    /**
     * Reads a little-endian field.
     *
     * @param offset first byte
     * @param width  bytes, 1 to 8
     * @return the value, zero-extended
     * @throws IndexOutOfBoundsException if the field is not inside the space (the transport checks
     *                                   guest accesses first, so this is a device bug)
     */
    public synchronized long read(int offset, int width) {
        check(offset, width);
        long value = 0;
        for (int i = 0; i < width; i++) {
            value |= (bytes[offset + i] & 0xFFL) << (8 * i);
        }
        return value;
    }

    /**
     * Writes a little-endian field and moves the generation.
     *
     * @param offset first byte
     * @param width  bytes, 1 to 8
     * @param value  the value; bits above {@code width} bytes are dropped
     * @throws IndexOutOfBoundsException if the field is not inside the space
     */
    public synchronized void put(int offset, int width, long value) {
        check(offset, width);
        for (int i = 0; i < width; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
        }
        generation++;
    }

    /** {@return the configuration generation: changes whenever a field changes} */
    public synchronized int generation() {
        return generation;
    }

    private void check(int offset, int width) {
        if (width < 1 || width > 8) {
            throw new IndexOutOfBoundsException("config field width " + width);
        }
        Objects.checkFromIndexSize(offset, width, bytes.length);
    }
}
