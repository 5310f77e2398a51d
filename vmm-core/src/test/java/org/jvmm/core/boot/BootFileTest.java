package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jvmm.core.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kernel files mapped with BootFile parse and load as their heap copies do, and the mapping goes with its arena. */
class BootFileTest {

    @TempDir
    Path dir;

    @Test
    void aMappedBzImageLoadsTheSameBytesAsItsHeapCopy() throws Exception {
        byte[] bytes = TestImages.bzImage();
        Path file = Files.write(dir.resolve("bzImage"), bytes);
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory fromFile = TestImages.memory(arena, new long[] {0, 16 << 20});
            GuestMemory fromHeap = TestImages.memory(arena, new long[] {0, 16 << 20});
            MemorySegment mapped;
            LoadedKernel loaded;
            try (Arena mapping = Arena.ofConfined()) {
                mapped = BootFile.map(file, mapping);
                assertEquals(KernelFormat.LINUX, KernelFormat.detect(mapped));
                KernelImage image = KernelImage.parse(mapped);
                assertEquals(KernelImage.parse(bytes), image);
                loaded = image.load(fromFile);
            }
            assertFalse(mapped.scope().isAlive(), "closing the arena unmaps the file");
            assertEquals(KernelImage.parse(bytes).load(fromHeap), loaded);
            MemorySegment a = fromFile.slice(BzImage.LOAD_ADDRESS, 0x3000);
            MemorySegment b = fromHeap.slice(BzImage.LOAD_ADDRESS, 0x3000);
            assertEquals(-1, a.mismatch(b));
            assertEquals((byte) 3, a.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void aMappedElfKernelLoadsItsSegments() throws Exception {
        byte[] data = TestImages.pattern(5000, 11);
        byte[] bytes = TestImages.elf(0x20_0000, List.of(new TestImages.Load(0x20_0000, 0x20_0000, data, 8192)));
        Path file = Files.write(dir.resolve("vmlinux"), bytes);
        try (Arena arena = Arena.ofConfined(); Arena mapping = Arena.ofConfined()) {
            GuestMemory memory = TestImages.memory(arena, new long[] {0, 16 << 20});
            KernelImage image = KernelImage.parse(BootFile.map(file, mapping));
            assertEquals(KernelImage.parse(bytes), image);
            image.load(memory);
            assertEquals(-1, memory.slice(0x20_0000, data.length).mismatch(MemorySegment.ofArray(data)));
        }
    }

    @Test
    void aFileOfTwoGibibytesIsNamedNotAKernel() throws Exception {
        Path file = dir.resolve("huge");
        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(1L << 31); // sparse: no disk space taken
        }
        try (Arena mapping = Arena.ofConfined()) {
            MemorySegment mapped = BootFile.map(file, mapping);
            BootException e = assertThrows(BootException.class, () -> KernelFormat.detect(mapped));
            assertEquals(BootError.IMAGE_TOO_LARGE, e.error());
        }
    }

    @Test
    void anEmptyFileIsNoKernel() throws Exception {
        Path file = Files.write(dir.resolve("empty"), new byte[0]);
        try (Arena mapping = Arena.ofConfined()) {
            MemorySegment mapped = BootFile.map(file, mapping);
            assertEquals(BootError.BAD_MAGIC, assertThrows(BootException.class, () -> KernelFormat.detect(mapped)).error());
        }
    }
}
