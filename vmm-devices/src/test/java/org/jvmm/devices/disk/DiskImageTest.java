package org.jvmm.devices.disk;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskImageTest {
    @TempDir
    Path dir;

    private Path image(int bytes) throws IOException {
        Path path = dir.resolve("disk.img");
        Files.write(path, new byte[bytes]);
        return path;
    }

    @Test
    void aWritableImageIsOpenedExclusively() throws IOException {
        Path path = image(4096);
        try (DiskImage first = DiskImage.open(path, false)) {
            IOException e = assertThrows(IOException.class, () -> DiskImage.open(path, false));
            assertTrue(e.getMessage().contains("already in use by another VM or process"), e.getMessage());
            assertThrows(IOException.class, () -> DiskImage.open(path, true), "no reader beside a writer");
            assertEquals(8, first.sectors());
        }
        DiskImage.open(path, false).close(); // closing released the lock
    }

    @Test
    void aSecondOpenInTheSameProcessIsRefusedEvenReadOnly() throws IOException {
        Path path = image(4096);
        try (DiskImage a = DiskImage.open(path, true)) {
            IOException e = assertThrows(IOException.class, () -> DiskImage.open(path, true));
            assertTrue(e.getMessage().contains("already in use by another VM or process"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> a.write(ByteBuffer.allocate(512), 0));
        }
    }

    /** Another process, as a second jvmm would be: it holds a lock while its stdin stays open. */
    private static Process lockInChild(Path path, boolean shared, Path dir) throws IOException {
        Path source = dir.resolve("Locker.java");
        Files.writeString(source, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class Locker {
                    public static void main(String[] a) throws Exception {
                        boolean shared = a[1].equals("shared");
                        try (FileChannel c = shared ? FileChannel.open(Path.of(a[0]), StandardOpenOption.READ)
                                : FileChannel.open(Path.of(a[0]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                            System.out.println(c.tryLock(0, Long.MAX_VALUE, shared) != null ? "locked" : "busy");
                            System.out.flush();
                            System.in.read();
                        }
                    }
                }
                """);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, source.toString(), path.toString(), shared ? "shared" : "exclusive")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream())).readLine();
        assertEquals("locked", line, "the child took its lock");
        return child;
    }

    private static void release(Process child) throws Exception {
        child.getOutputStream().close();
        assertTrue(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    void anotherProcessHoldingTheImageShutsOutWriters() throws Exception {
        Path path = image(4096);
        Process writer = lockInChild(path, false, dir);
        try {
            IOException e = assertThrows(IOException.class, () -> DiskImage.open(path, false));
            assertTrue(e.getMessage().contains("in use by another VM"), e.getMessage());
            assertThrows(IOException.class, () -> DiskImage.open(path, true));
        } finally {
            release(writer);
        }
        Process reader = lockInChild(path, true, dir);
        try {
            DiskImage.open(path, true).close(); // readers share
            assertThrows(IOException.class, () -> DiskImage.open(path, false));
        } finally {
            release(reader);
        }
        DiskImage.open(path, false).close();
    }

    @Test
    void aMissingImageIsNotCreated() {
        Path path = dir.resolve("missing.img");
        assertThrows(NoSuchFileException.class, () -> DiskImage.open(path, false));
        assertFalse(Files.exists(path));
    }

    @Test
    void aTrailingPartialSectorIsNotPartOfTheDisk() throws IOException {
        try (DiskImage image = DiskImage.open(image(1000), false)) {
            assertEquals(1, image.sectors());
            assertTrue(image.contains(0, 1));
            assertFalse(image.contains(1, 1));
            assertFalse(image.contains(0, 2));
            assertFalse(image.contains(-1, 1));
            assertThrows(IllegalArgumentException.class, () -> image.read(ByteBuffer.allocate(1024), 0));
            assertThrows(IllegalArgumentException.class, () -> image.write(ByteBuffer.allocate(512), 1));
        }
        assertEquals(1000, Files.size(dir.resolve("disk.img")), "never grown or truncated");
    }

    @Test
    void theTestOnlyNoOpFlushNeedsItsExactConsentValue() {
        assertNull(System.getProperty(DiskImage.NO_OP_FLUSH_PROPERTY), "the test JVM runs with real flushes");
        assertFalse(DiskImage.noOpFlush(null));
        for (String value : new String[] {"", "true", "1", "yes", DiskImage.NO_OP_FLUSH_CONSENT.toUpperCase(),
                DiskImage.NO_OP_FLUSH_CONSENT + " "}) {
            assertFalse(DiskImage.noOpFlush(value), "'" + value + "' must not turn flushes off");
        }
        assertTrue(DiskImage.noOpFlush(DiskImage.NO_OP_FLUSH_CONSENT));
    }

    @Test
    void flushForcesDataAndMetadataToStableStorage() throws IOException {
        Path path = image(4096);
        RecordingChannel channel = RecordingChannel.open(path, false);
        try (DiskImage image = DiskImage.open(path, channel, false)) {
            image.write(ByteBuffer.allocate(512), 1);
            assertEquals(0, channel.forcesWithMetadata + channel.forcesWithoutMetadata, "a write alone forces nothing");
            image.flush();
            assertEquals(1, channel.forcesWithMetadata, "fsync, not fdatasync: the file's size is part of the disk");
            assertEquals(0, channel.forcesWithoutMetadata);
            assertEquals(1, image.forces());
            image.flush();
            assertEquals(2, channel.forcesWithMetadata);
            assertEquals(2, image.forces());
        }
    }

    @Test
    void aReadOnlyImageHasNothingToForce() throws IOException {
        Path path = image(4096);
        RecordingChannel channel = RecordingChannel.open(path, false);
        try (DiskImage image = DiskImage.open(path, channel, true)) {
            image.flush();
            assertEquals(0, channel.forcesWithMetadata);
            assertEquals(0, image.forces());
        }
    }

    @Test
    void aChannelWhoseImageIsInUseIsClosed() throws IOException {
        Path path = image(4096);
        try (DiskImage first = DiskImage.open(path, false)) {
            RecordingChannel second = RecordingChannel.open(path, false);
            assertThrows(IOException.class, () -> DiskImage.open(path, second, false));
            assertFalse(second.isOpen(), "the image took the channel over, also when it failed");
        }
    }
}
