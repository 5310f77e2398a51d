package org.jvmm.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ConfigSpaceTest {

    @Test
    void fieldsAreLittleEndianAndReadAtAnyWidth() {
        ConfigSpace config = new ConfigSpace(12);
        config.put(0, 8, 0x1122_3344_5566_7788L);
        config.put(8, 2, 0xABCD_EF01L);
        assertEquals(0x1122_3344_5566_7788L, config.read(0, 8));
        assertEquals(0x88, config.read(0, 1));
        assertEquals(0x5566_7788L, config.read(0, 4));
        assertEquals(0x3344, config.read(4, 2));
        assertEquals(0xEF01, config.read(8, 2), "bits above the width are dropped");
        assertEquals(0, config.read(10, 2));
        assertEquals(0xEF01_1122L, config.read(6, 4), "fields may be read across");
    }

    @Test
    void everyChangeMovesTheGeneration() {
        ConfigSpace config = new ConfigSpace(4);
        int first = config.generation();
        config.put(0, 2, 80);
        int second = config.generation();
        assertNotEquals(first, second);
        config.read(0, 4);
        assertEquals(second, config.generation(), "reads change nothing");
        config.put(0, 2, 80);
        assertNotEquals(second, config.generation(), "a write of the same value still counts");
    }

    @Test
    void accessesOutsideTheSpaceThrow() {
        ConfigSpace config = new ConfigSpace(8);
        assertThrows(IndexOutOfBoundsException.class, () -> config.read(4, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> config.read(-1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> config.read(0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> config.put(8, 1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> ConfigSpace.EMPTY.read(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ConfigSpace(-1));
    }
}
