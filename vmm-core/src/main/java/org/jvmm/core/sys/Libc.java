package org.jvmm.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls jvmm makes, as downcall handles resolved once. Calls that can fail take a
 * {@link CallState} that captures errno for the calling thread, and return the raw result; callers
 * check it with {@link CallState#check}. Nothing here allocates on the call itself.
 *
 * <p>Each handle lives in a holder class of its own, created on the first call: linking a
 * downcall generates code, tens of milliseconds each on a cold JVM (far more under emulation), and
 * a run reaches its first {@code KVM_RUN} needing a third of them. A holder's field is still a
 * {@code static final} constant to the JIT, so the calls inline as before.
 */
@SuppressWarnings("restricted")
public final class Libc {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    // open(const char *, int, ...) and ioctl(int, unsigned long, ...) are variadic.

    private static final class OpenCall {
        static final MethodHandle HANDLE = downcall("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    }

    private static final class CloseCall {
        static final MethodHandle HANDLE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    }

    private static final class IoctlLongCall {
        static final MethodHandle HANDLE = downcall("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO, Linker.Option.firstVariadicArg(2));
    }

    private static final class IoctlPtrCall {
        static final MethodHandle HANDLE = downcall("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), ERRNO, Linker.Option.firstVariadicArg(2));
    }

    private static final class IoctlLongNoErrnoCall {
        static final MethodHandle HANDLE = downcall("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    }

    private static final class MmapCall {
        static final MethodHandle HANDLE = downcall("mmap",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);
    }

    private static final class MunmapCall {
        static final MethodHandle HANDLE = downcall("munmap",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    }

    private static final class EventfdCall {
        static final MethodHandle HANDLE = downcall("eventfd",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    }

    private static final class ReadCall {
        static final MethodHandle HANDLE = downcall("read",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    }

    private static final class WriteCall {
        static final MethodHandle HANDLE = downcall("write",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    }

    private static final class PreadCall {
        static final MethodHandle HANDLE = downcall("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), ERRNO);
    }

    private static final class StrerrorCall {
        static final MethodHandle HANDLE = downcall("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private static final class GettidCall {
        static final MethodHandle HANDLE = downcall("gettid", FunctionDescriptor.of(JAVA_INT));
    }

    private static final class GetpidCall {
        static final MethodHandle HANDLE = downcall("getpid", FunctionDescriptor.of(JAVA_INT));
    }

    private static final class TgkillCall {
        static final MethodHandle HANDLE = downcall("tgkill",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    }

    private static final class PthreadSigmaskCall {
        static final MethodHandle HANDLE = downcall("pthread_sigmask",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class SigtimedwaitCall {
        static final MethodHandle HANDLE = downcall("sigtimedwait",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), ERRNO);
    }

    private static final class IsattyCall {
        static final MethodHandle HANDLE = downcall("isatty", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class TcgetattrCall {
        static final MethodHandle HANDLE = downcall("tcgetattr",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    }

    private static final class TcsetattrCall {
        static final MethodHandle HANDLE = downcall("tcsetattr",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    }

    private static final class CfmakerawCall {
        static final MethodHandle HANDLE = downcall("cfmakeraw", FunctionDescriptor.ofVoid(ADDRESS));
    }

    /** open(2) flag: read and write. */
    public static final int O_RDWR = 2;
    /** open(2) flag: read only. */
    public static final int O_RDONLY = 0;
    /** open(2) flag: close on exec. */
    public static final int O_CLOEXEC = 0x80000;
    /** mmap(2) protection: readable. */
    public static final int PROT_READ = 1;
    /** mmap(2) protection: writable. */
    public static final int PROT_WRITE = 2;
    /** mmap(2) flag: shared mapping. */
    public static final int MAP_SHARED = 1;
    /** mmap(2) flag: private mapping. */
    public static final int MAP_PRIVATE = 2;
    /** mmap(2) flag: not backed by a file. */
    public static final int MAP_ANONYMOUS = 0x20;
    /** mmap(2) flag: reserve no swap; pages come on first touch. */
    public static final int MAP_NORESERVE = 0x4000;
    /** eventfd(2) flag: close on exec. */
    public static final int EFD_CLOEXEC = 0x80000;
    /** eventfd(2) flag: non-blocking reads. */
    public static final int EFD_NONBLOCK = 0x800;
    /** tcsetattr(3) action: change the terminal at once. */
    public static final int TCSANOW = 0;
    /** sizeof(struct termios) in glibc on x86-64: four tcflag_t, c_line, c_cc[32], padding, two speed_t. */
    public static final long TERMIOS_SIZE = 60;
    /** Offset of c_oflag in struct termios. */
    public static final long TERMIOS_OFLAG = 4;
    /** c_oflag bit: post-process output (with ONLCR, "\n" goes out as "\r\n"). */
    public static final int OPOST = 1;
    /** pthread_sigmask how: add to the mask. */
    public static final int SIG_BLOCK = 0;
    /** pthread_sigmask how: remove from the mask. */
    public static final int SIG_UNBLOCK = 1;
    /** pthread_sigmask how: replace the mask. */
    public static final int SIG_SETMASK = 2;

    private Libc() {}

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LOOKUP.find(name)
                .orElseThrow(() -> new ExceptionInInitializerError("libc has no symbol '" + name + "'"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /**
     * open(2).
     *
     * @param state errno capture of the calling thread
     * @param path  NUL-terminated path
     * @param flags open flags
     * @return the fd, or -1
     */
    public static int open(CallState state, MemorySegment path, int flags) {
        try {
            return (int) OpenCall.HANDLE.invokeExact(state.segment(), path, flags, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * close(2).
     *
     * @param state errno capture of the calling thread
     * @param fd    the fd
     * @return 0 or -1
     */
    public static int close(CallState state, int fd) {
        try {
            return (int) CloseCall.HANDLE.invokeExact(state.segment(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * ioctl(2) with an integer argument.
     *
     * @param state   errno capture of the calling thread
     * @param fd      the fd
     * @param request the request number
     * @param arg     the argument
     * @return the result, or -1
     */
    public static int ioctl(CallState state, int fd, long request, long arg) {
        try {
            return (int) IoctlLongCall.HANDLE.invokeExact(state.segment(), fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * ioctl(2) with a pointer argument.
     *
     * @param state   errno capture of the calling thread
     * @param fd      the fd
     * @param request the request number
     * @param arg     the argument
     * @return the result, or -1
     */
    public static int ioctl(CallState state, int fd, long request, MemorySegment arg) {
        try {
            return (int) IoctlPtrCall.HANDLE.invokeExact(state.segment(), fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * ioctl(2) with an integer argument and no errno capture: the baseline the benchmarks compare
     * the captured call against.
     *
     * @param fd      the fd
     * @param request the request number
     * @param arg     the argument
     * @return the result, or -1
     */
    public static int ioctlNoErrno(int fd, long request, long arg) {
        try {
            return (int) IoctlLongNoErrnoCall.HANDLE.invokeExact(fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * mmap(2).
     *
     * @param state  errno capture of the calling thread
     * @param length bytes to map
     * @param prot   protection
     * @param flags  flags
     * @param fd     fd, or -1 for anonymous memory
     * @param offset offset in the file
     * @return the address as a zero-length segment; {@code MAP_FAILED} is address -1
     */
    public static MemorySegment mmap(CallState state, long length, int prot, int flags, int fd, long offset) {
        try {
            return (MemorySegment) MmapCall.HANDLE.invokeExact(state.segment(), MemorySegment.NULL, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * munmap(2).
     *
     * @param state   errno capture of the calling thread
     * @param address start of the mapping
     * @param length  bytes to unmap
     * @return 0 or -1
     */
    public static int munmap(CallState state, MemorySegment address, long length) {
        try {
            return (int) MunmapCall.HANDLE.invokeExact(state.segment(), address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * eventfd(2).
     *
     * @param state   errno capture of the calling thread
     * @param initial initial counter value
     * @param flags   flags
     * @return the fd, or -1
     */
    public static int eventfd(CallState state, int initial, int flags) {
        try {
            return (int) EventfdCall.HANDLE.invokeExact(state.segment(), initial, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * read(2).
     *
     * @param state  errno capture of the calling thread
     * @param fd     the fd
     * @param buffer where the bytes go
     * @param count  bytes to read at most
     * @return bytes read, or -1
     */
    public static long read(CallState state, int fd, MemorySegment buffer, long count) {
        try {
            return (long) ReadCall.HANDLE.invokeExact(state.segment(), fd, buffer, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * write(2).
     *
     * @param state  errno capture of the calling thread
     * @param fd     the fd
     * @param buffer the bytes
     * @param count  bytes to write
     * @return bytes written, or -1
     */
    public static long write(CallState state, int fd, MemorySegment buffer, long count) {
        try {
            return (long) WriteCall.HANDLE.invokeExact(state.segment(), fd, buffer, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * pread(2).
     *
     * @param state  errno capture of the calling thread
     * @param fd     the fd
     * @param buffer where the bytes go
     * @param count  bytes to read at most
     * @param offset file offset
     * @return bytes read, or -1
     */
    public static long pread(CallState state, int fd, MemorySegment buffer, long count, long offset) {
        try {
            return (long) PreadCall.HANDLE.invokeExact(state.segment(), fd, buffer, count, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * strerror(3).
     *
     * @param errno an error number
     * @return its description
     */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) StrerrorCall.HANDLE.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@return the calling thread's kernel thread id} */
    public static int gettid() {
        try {
            return (int) GettidCall.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@return the process id} */
    public static int getpid() {
        try {
            return (int) GetpidCall.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * tgkill(2): sends a signal to one thread.
     *
     * @param state  errno capture of the calling thread
     * @param tgid   process id
     * @param tid    thread id
     * @param signal signal number
     * @return 0 or -1
     */
    public static int tgkill(CallState state, int tgid, int tid, int signal) {
        try {
            return (int) TgkillCall.HANDLE.invokeExact(state.segment(), tgid, tid, signal);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * pthread_sigmask(3).
     *
     * @param how      SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK
     * @param set      the set, or NULL
     * @param previous where the old mask goes, or NULL
     * @return 0 or an error number
     */
    public static int pthreadSigmask(int how, MemorySegment set, MemorySegment previous) {
        try {
            return (int) PthreadSigmaskCall.HANDLE.invokeExact(how, set, previous);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * sigtimedwait(2).
     *
     * @param state   errno capture of the calling thread
     * @param set     signals to wait for
     * @param timeout a struct timespec, or NULL to wait forever
     * @return the signal taken, or -1
     */
    public static int sigtimedwait(CallState state, MemorySegment set, MemorySegment timeout) {
        try {
            return (int) SigtimedwaitCall.HANDLE.invokeExact(state.segment(), set, MemorySegment.NULL, timeout);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * isatty(3).
     *
     * @param fd the fd
     * @return 1 if it is a terminal, else 0
     */
    public static int isatty(int fd) {
        try {
            return (int) IsattyCall.HANDLE.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * tcgetattr(3).
     *
     * @param state   errno capture of the calling thread
     * @param fd      a terminal
     * @param termios {@link #TERMIOS_SIZE} bytes for its attributes
     * @return 0 or -1
     */
    public static int tcgetattr(CallState state, int fd, MemorySegment termios) {
        try {
            return (int) TcgetattrCall.HANDLE.invokeExact(state.segment(), fd, termios);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * tcsetattr(3).
     *
     * @param state   errno capture of the calling thread
     * @param fd      a terminal
     * @param action  {@link #TCSANOW}
     * @param termios the attributes
     * @return 0 or -1
     */
    public static int tcsetattr(CallState state, int fd, int action, MemorySegment termios) {
        try {
            return (int) TcsetattrCall.HANDLE.invokeExact(state.segment(), fd, action, termios);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * cfmakeraw(3): changes attributes in memory to raw mode (no echo, no line editing, no signal
     * characters, no output processing, 8-bit characters, reads return after one byte).
     *
     * @param termios the attributes to change
     */
    public static void cfmakeraw(MemorySegment termios) {
        try {
            CfmakerawCall.HANDLE.invokeExact(termios);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A NUL-terminated copy of {@code text}.
     *
     * @param arena owner of the copy
     * @param text  the string
     * @return the C string
     */
    public static MemorySegment cString(Arena arena, String text) {
        return arena.allocateFrom(text);
    }

    /** Size of a kernel sigset_t (64 signals). */
    public static final long KERNEL_SIGSET_SIZE = 8;
    /** Size of glibc's sigset_t. */
    public static final long SIGSET_SIZE = 128;

    /**
     * Adds a signal to a sigset_t in memory (bit {@code signal - 1}).
     *
     * @param set    a sigset_t
     * @param signal signal number, 1 to 64
     */
    public static void sigaddset(MemorySegment set, int signal) {
        long word = (signal - 1) / 64;
        long bit = 1L << ((signal - 1) % 64);
        set.set(ValueLayout.JAVA_LONG, word * 8, set.get(ValueLayout.JAVA_LONG, word * 8) | bit);
    }

    /**
     * Removes a signal from a sigset_t in memory.
     *
     * @param set    a sigset_t
     * @param signal signal number, 1 to 64
     */
    public static void sigdelset(MemorySegment set, int signal) {
        long word = (signal - 1) / 64;
        long bit = 1L << ((signal - 1) % 64);
        set.set(ValueLayout.JAVA_LONG, word * 8, set.get(ValueLayout.JAVA_LONG, word * 8) & ~bit);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
