package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reading a kernel file's headers, which the parsers take as a {@link MemorySegment}: a heap copy, or
 * the file mapped read-only so that a 50 MB vmlinux is never copied onto the Java heap on its way
 * into guest RAM. Headers are read through a little-endian {@link ByteBuffer} view, as x86 lays them out.
 */
final class ImageBytes {

    private ImageBytes() {}

    /**
     * A little-endian view of the whole file.
     *
     * @throws BootException IMAGE_TOO_LARGE for a file a ByteBuffer cannot span (2 GiB or more)
     */
    static ByteBuffer littleEndian(MemorySegment image) {
        if (image.byteSize() >= Integer.MAX_VALUE) {
            throw new BootException(BootError.IMAGE_TOO_LARGE, image.byteSize() + " bytes");
        }
        return image.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Whether the file starts with {@code magic}. */
    static boolean startsWith(MemorySegment image, byte... magic) {
        if (image.byteSize() < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (image.get(ValueLayout.JAVA_BYTE, i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    /** The ELF magic, 0x7f 'E' 'L' 'F'. */
    static boolean isElf(MemorySegment image) {
        return startsWith(image, (byte) 0x7f, (byte) 'E', (byte) 'L', (byte) 'F');
    }

    /** The byte at {@code offset}, which the caller has checked lies inside the file. */
    static byte at(MemorySegment image, long offset) {
        return image.get(ValueLayout.JAVA_BYTE, offset);
    }
}
