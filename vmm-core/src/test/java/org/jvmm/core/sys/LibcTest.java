package org.jvmm.core.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Libc's system calls, all made through one syscall(2) downcall, against the host kernel (no KVM). */
class LibcTest {

    private static final int ENOENT = 2;
    private static final int EBADF = 9;

    private final CallState state = CallState.current();

    @Test
    void processAndThreadIdsAreTheKernels() {
        assertEquals(ProcessHandle.current().pid(), Libc.getpid());
        assertTrue(Libc.gettid() > 0);
    }

    @Test
    void openReadsAFileAndReportsErrno(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data");
        Files.writeString(file, "jvmm syscall");
        try (Arena arena = Arena.ofConfined()) {
            int fd = Libc.open(state, Libc.cString(arena, file.toString()), Libc.O_RDONLY | Libc.O_CLOEXEC);
            assertTrue(fd >= 0, "errno " + state.errno());
            MemorySegment buffer = arena.allocate(64);
            assertEquals(4, Libc.pread(state, fd, buffer, 4, 5));
            assertEquals("sysc", new String(buffer.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            assertEquals(12, Libc.read(state, fd, buffer, 64));
            assertEquals(0, Libc.close(state, fd));

            assertEquals(-1, Libc.open(state, Libc.cString(arena, dir.resolve("missing").toString()), Libc.O_RDONLY));
            assertEquals(ENOENT, state.errno());
            assertEquals(-1, Libc.close(state, fd));
            assertEquals(EBADF, state.errno());
        }
    }

    @Test
    void ioctlWithoutErrnoMakesTheCallAndReportsOnlyFailure() throws Exception {
        long fioclex = 0x5451; // set close-on-exec: succeeds on any open fd
        int fd = Libc.eventfd(state, 0, 0);
        assertTrue(fd >= 0, "errno " + state.errno());
        assertEquals(0, closeOnExec(fd));
        assertEquals(0, Libc.ioctlWithoutErrno(fd, fioclex, 0L));
        assertEquals(Libc.O_CLOEXEC, closeOnExec(fd), "the call reached the kernel");
        assertEquals(0, Libc.close(state, fd));
        assertEquals(-1, Libc.ioctlWithoutErrno(fd, fioclex, 0L), "a closed fd");
        assertTrue(Libc.ioctlWithoutErrnoLinked(), "a call links the downcall if no thread has yet");
        Libc.linkIoctlWithoutErrnoInBackground(); // after the handle was linked: nothing to wait for, nothing fails
    }

    /** The fd's O_CLOEXEC bit as /proc/self/fdinfo shows it (octal flags). */
    private static int closeOnExec(int fd) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                return Integer.parseInt(line.substring(6).trim(), 8) & Libc.O_CLOEXEC;
            }
        }
        throw new AssertionError("no flags in fdinfo of fd " + fd);
    }

    @Test
    void eventfdCountsWhatIsWritten() {
        try (Arena arena = Arena.ofConfined()) {
            int fd = Libc.eventfd(state, 3, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            assertTrue(fd >= 0, "errno " + state.errno());
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            value.set(ValueLayout.JAVA_LONG, 0, 4);
            assertEquals(8, Libc.write(state, fd, value, 8));
            assertEquals(8, Libc.read(state, fd, value, 8));
            assertEquals(7, value.get(ValueLayout.JAVA_LONG, 0));
            Libc.close(state, fd);
        }
    }

    @Test
    void mmapGivesWritableMemoryAndMunmapReleasesIt() {
        MemorySegment address = Libc.mmap(state, 8192, Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        assertTrue(address.address() != -1, "errno " + state.errno());
        MemorySegment mapped = address.reinterpret(8192);
        mapped.set(ValueLayout.JAVA_LONG, 8184, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, mapped.get(ValueLayout.JAVA_LONG, 8184));
        assertEquals(0, Libc.munmap(state, address, 8192));
    }

    @Test
    void aPipeIsNoTerminal() {
        assertEquals(0, Libc.isatty(-1));
    }

    @Test
    void theSignalMaskRoundTrips() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(Libc.SIGSET_SIZE, 8);
            MemorySegment before = arena.allocate(Libc.SIGSET_SIZE, 8);
            MemorySegment after = arena.allocate(Libc.SIGSET_SIZE, 8);
            Libc.sigaddset(set, 41);
            assertEquals(0, Libc.pthreadSigmask(Libc.SIG_BLOCK, set, before));
            assertEquals(0, Libc.pthreadSigmask(Libc.SIG_SETMASK, before, after));
            assertEquals(1L << 40, after.get(ValueLayout.JAVA_LONG, 0) & (1L << 40));
            assertEquals(0, Libc.pthreadSigmask(Libc.SIG_SETMASK, before, after));
            assertEquals(0, after.get(ValueLayout.JAVA_LONG, 0) & (1L << 40));
        }
    }

    @Test
    void heapMemoryAndShortBuffersAreRefusedBeforeTheKernelSeesThem() {
        byte[] heap = new byte[16];
        assertThrows(IllegalArgumentException.class, () -> Libc.read(state, 0, MemorySegment.ofArray(heap), 16));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment eight = arena.allocate(8);
            assertThrows(IndexOutOfBoundsException.class, () -> Libc.read(state, 0, eight, 9));
            assertThrows(IndexOutOfBoundsException.class, () -> Libc.write(state, 1, eight, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> Libc.pread(state, 0, eight, 4096, 0));
        }
        assertArrayEquals(new byte[16], heap);
    }
}
