package org.jvmm.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The system calls jvmm makes, and the few libc functions it needs besides. Calls that can fail
 * take a {@link CallState} that captures errno for the calling thread, and return the raw result;
 * callers check it with {@link CallState#check}. Nothing here allocates on the call itself.
 *
 * <p>Every system call goes through one downcall, glibc's {@code long syscall(long number, ...)}
 * with six {@code long} arguments, pointers passed as their addresses. Linking a downcall generates
 * code for its shape (a stub class and a dozen lambda forms, 5-10 ms each on a cold JVM, far more
 * under emulation, and none of it kept by the AOT cache): one shape for {@code open}, {@code ioctl},
 * {@code mmap} and the rest links once, where a handle per function linked twelve times before the
 * first {@code KVM_RUN}. The hot call, {@code ioctl(vcpu, KVM_RUN, 0)}, is the one exception: it
 * has a shape of its own without errno capture ({@link #ioctlWithoutErrno}), linked in the
 * background while a VM is set up. The system call numbers are x86-64's, like the rest of jvmm.
 *
 * <p>A pointer argument must be native memory that the caller keeps alive for the call (all of
 * jvmm's are allocated by the calling code's own arena); {@link #address} refuses heap segments,
 * whose {@code address()} is an offset, not a pointer. The libc functions that are not system calls
 * ({@code strerror} and the terminal's {@code tcgetattr}, {@code tcsetattr}, {@code cfmakeraw}) have
 * handles of their own, each linked on its first call by a holder class: none of them runs before
 * the first {@code KVM_RUN} of a run without a terminal.
 */
@SuppressWarnings("restricted")
public final class Libc {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    /** long syscall(long number, ...): variadic after the number; every argument a long. */
    private static final class SyscallCall {
        static final MethodHandle HANDLE = downcall("syscall", FunctionDescriptor.of(JAVA_LONG,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                ERRNO, Linker.Option.firstVariadicArg(1));
    }

    /**
     * int ioctl(int fd, unsigned long request, ...) without errno capture: the one call on the exit
     * path, {@code KVM_RUN}. Under C1, the JIT the launcher runs with, a capturing downcall
     * allocates a view of its capture segment on every call and costs microseconds more per exit
     * in nested KVM (docs/performance.md, "KVM_RUN without errno capture"). A shape of its own, linked
     * on a thread of its own by {@link #linkIoctlWithoutErrnoInBackground} so that no vCPU waits for it.
     */
    private static final class IoctlWithoutErrnoCall {
        static final MethodHandle HANDLE = downcall("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));

        static {
            ioctlWithoutErrnoLinked = true;
        }
    }

    /** Set once {@link IoctlWithoutErrnoCall} is initialized: a call then waits for no link. */
    private static volatile boolean ioctlWithoutErrnoLinked;
    private static final AtomicBoolean LINKER_STARTED = new AtomicBoolean();

    /** Linked on the first kick of a vCPU (jvmm's only signal handler), never before the first KVM_RUN. */
    private static final class SigactionCall {
        static final MethodHandle HANDLE = downcall("sigaction",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), ERRNO);
    }

    private static final class StrerrorCall {
        static final MethodHandle HANDLE = downcall("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
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

    // x86-64 system call numbers (asm/unistd_64.h).
    private static final long SYS_READ = 0;
    private static final long SYS_WRITE = 1;
    private static final long SYS_CLOSE = 3;
    private static final long SYS_MMAP = 9;
    private static final long SYS_MUNMAP = 11;
    private static final long SYS_RT_SIGPROCMASK = 14;
    private static final long SYS_IOCTL = 16;
    private static final long SYS_PREAD64 = 17;
    private static final long SYS_GETPID = 39;
    private static final long SYS_GETTID = 186;
    private static final long SYS_TGKILL = 234;
    private static final long SYS_OPENAT = 257;
    private static final long SYS_EVENTFD2 = 290;
    /** openat(2)'s directory argument for "relative to the working directory", as open(2). */
    private static final long AT_FDCWD = -100;
    /** ioctl(2) request: read a terminal's attributes (what isatty(3) asks). */
    private static final long TCGETS = 0x5401;
    /** Bytes of the kernel's struct termios that TCGETS writes (36 on x86-64), rounded up. */
    private static final long KERNEL_TERMIOS_SIZE = 64;

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

    /** The one system call downcall: the result, or -1 with errno in {@code state}. */
    private static long syscall(CallState state, long number, long a, long b, long c, long d, long e, long f) {
        try {
            return (long) SyscallCall.HANDLE.invokeExact(state.segment(), number, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The address of native memory, for a pointer argument. The caller keeps {@code segment}
     * reachable until the call returns ({@link Reference#reachabilityFence}), so that an
     * automatic arena cannot free it during the call.
     *
     * @throws IllegalArgumentException for a heap segment, which has no fixed address
     */
    static long address(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a system call needs native memory, not " + segment);
        }
        return segment.address();
    }

    /**
     * open(2), as openat(2) relative to the working directory.
     *
     * @param state errno capture of the calling thread
     * @param path  NUL-terminated path
     * @param flags open flags
     * @return the fd, or -1
     */
    public static int open(CallState state, MemorySegment path, int flags) {
        long fd = syscall(state, SYS_OPENAT, AT_FDCWD, address(path), flags, 0, 0, 0);
        Reference.reachabilityFence(path);
        return (int) fd;
    }

    /**
     * close(2).
     *
     * @param state errno capture of the calling thread
     * @param fd    the fd
     * @return 0 or -1
     */
    public static int close(CallState state, int fd) {
        return (int) syscall(state, SYS_CLOSE, fd, 0, 0, 0, 0, 0);
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
        return (int) syscall(state, SYS_IOCTL, fd, request, arg, 0, 0, 0);
    }

    /**
     * ioctl(2) with an integer argument, through a downcall that does not capture errno: a failure
     * is -1 and nothing more. For {@code KVM_RUN} only, whose caller takes a failure for an
     * interruption and makes the next call with {@link #ioctl(CallState, int, long, long)} (VcpuFd).
     *
     * @param fd      the fd
     * @param request the request number
     * @param arg     the argument
     * @return the result, or -1
     */
    public static int ioctlWithoutErrno(int fd, long request, long arg) {
        try {
            return (int) IoctlWithoutErrnoCall.HANDLE.invokeExact(fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Links {@link #ioctlWithoutErrno}'s downcall on a daemon thread, at once: linking a shape
     * generates code, 9-15 ms on a cold JVM of a 2-core host, which should delay no vCPU. Until
     * {@link #ioctlWithoutErrnoLinked()}, a vCPU makes {@code KVM_RUN} with errno capture, through the
     * downcall every other call has linked already. Calling it again does nothing.
     */
    public static void linkIoctlWithoutErrnoInBackground() {
        if (LINKER_STARTED.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("jvmm-link-ioctl").start(Libc::linkIoctlWithoutErrno);
        }
    }

    /** {@return whether {@link #ioctlWithoutErrno} is linked, so that calling it waits for nothing} */
    public static boolean ioctlWithoutErrnoLinked() {
        return ioctlWithoutErrnoLinked;
    }

    private static void linkIoctlWithoutErrno() {
        try {
            Objects.requireNonNull(IoctlWithoutErrnoCall.HANDLE);
        } catch (LinkageError e) {
            // Never linked: vCPUs go on capturing errno.
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
        int result = (int) syscall(state, SYS_IOCTL, fd, request, address(arg), 0, 0, 0);
        Reference.reachabilityFence(arg);
        return result;
    }

    /**
     * mmap(2) at an address the kernel chooses.
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
        return MemorySegment.ofAddress(syscall(state, SYS_MMAP, 0, length, prot, flags, fd, offset));
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
        return (int) syscall(state, SYS_MUNMAP, address(address), length, 0, 0, 0, 0);
    }

    /**
     * eventfd(2), as eventfd2.
     *
     * @param state   errno capture of the calling thread
     * @param initial initial counter value
     * @param flags   flags
     * @return the fd, or -1
     */
    public static int eventfd(CallState state, int initial, int flags) {
        return (int) syscall(state, SYS_EVENTFD2, Integer.toUnsignedLong(initial), flags, 0, 0, 0, 0);
    }

    /**
     * read(2).
     *
     * @param state  errno capture of the calling thread
     * @param fd     the fd
     * @param buffer where the bytes go; at least {@code count} bytes
     * @param count  bytes to read at most
     * @return bytes read, or -1
     */
    public static long read(CallState state, int fd, MemorySegment buffer, long count) {
        long n = syscall(state, SYS_READ, fd, address(checkedBuffer(buffer, count)), count, 0, 0, 0);
        Reference.reachabilityFence(buffer);
        return n;
    }

    /**
     * write(2).
     *
     * @param state  errno capture of the calling thread
     * @param fd     the fd
     * @param buffer the bytes; at least {@code count} of them
     * @param count  bytes to write
     * @return bytes written, or -1
     */
    public static long write(CallState state, int fd, MemorySegment buffer, long count) {
        long n = syscall(state, SYS_WRITE, fd, address(checkedBuffer(buffer, count)), count, 0, 0, 0);
        Reference.reachabilityFence(buffer);
        return n;
    }

    /**
     * pread(2).
     *
     * @param state  errno capture of the calling thread
     * @param fd     the fd
     * @param buffer where the bytes go; at least {@code count} bytes
     * @param count  bytes to read at most
     * @param offset file offset
     * @return bytes read, or -1
     */
    public static long pread(CallState state, int fd, MemorySegment buffer, long count, long offset) {
        long n = syscall(state, SYS_PREAD64, fd, address(checkedBuffer(buffer, count)), count, offset, 0, 0);
        Reference.reachabilityFence(buffer);
        return n;
    }

    /** {@code buffer}, when it holds {@code count} bytes: the kernel would write past a shorter one. */
    private static MemorySegment checkedBuffer(MemorySegment buffer, long count) {
        if (count < 0 || count > buffer.byteSize()) {
            throw new IndexOutOfBoundsException("count " + count + " for a buffer of " + buffer.byteSize() + " bytes");
        }
        return buffer;
    }

    /** {@return the calling thread's kernel thread id} */
    public static int gettid() {
        return (int) syscall(CallState.current(), SYS_GETTID, 0, 0, 0, 0, 0, 0);
    }

    /** {@return the process id} */
    public static int getpid() {
        return (int) syscall(CallState.current(), SYS_GETPID, 0, 0, 0, 0, 0, 0);
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
        return (int) syscall(state, SYS_TGKILL, tgid, tid, signal, 0, 0, 0);
    }

    /**
     * pthread_sigmask(3), as the rt_sigprocmask(2) it makes for the calling thread (glibc adds only
     * a guard for its own two internal signals, which jvmm never names).
     *
     * @param how      SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK
     * @param set      the set (a sigset_t of which the kernel reads 64 signals), or NULL
     * @param previous where the old mask goes, or NULL
     * @return 0 or an error number
     */
    public static int pthreadSigmask(int how, MemorySegment set, MemorySegment previous) {
        CallState state = CallState.current();
        long result = syscall(state, SYS_RT_SIGPROCMASK, how, address(set), address(previous), KERNEL_SIGSET_SIZE, 0, 0);
        Reference.reachabilityFence(set);
        Reference.reachabilityFence(previous);
        return result == -1 ? state.errno() : 0;
    }

    /** sigaction flag: restart the system calls a handled signal interrupts (an ioctl's EINTR is never restarted). */
    public static final int SA_RESTART = 0x10000000;
    /** glibc's struct sigaction on x86-64: handler, a 128-byte sa_mask, sa_flags, padding, sa_restorer. */
    private static final long SIGACTION_SIZE = 152;
    private static final long SIGACTION_FLAGS = 136;

    /**
     * sigaction(3) through glibc, which supplies the restorer the kernel's signal frame returns
     * through (the raw system call would need its address): reads a signal's handler and, unless
     * {@code handler} is NULL, replaces it with {@code handler}, an empty sa_mask and {@code flags}.
     *
     * @param signal  the signal
     * @param handler a native function taking the signal number, or NULL to only read
     * @param flags   sa_flags for the new handler
     * @return the previous handler's address: 0 for SIG_DFL, 1 for SIG_IGN
     * @throws IllegalStateException if glibc refuses
     */
    public static long sigaction(int signal, MemorySegment handler, int flags) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment previous = call.allocate(SIGACTION_SIZE, 8);
            MemorySegment action = MemorySegment.NULL;
            if (!handler.equals(MemorySegment.NULL)) {
                action = call.allocate(SIGACTION_SIZE, 8);
                action.set(ValueLayout.ADDRESS, 0, handler);
                action.set(ValueLayout.JAVA_INT, SIGACTION_FLAGS, flags);
            }
            CallState state = CallState.current();
            int result = (int) SigactionCall.HANDLE.invokeExact(state.segment(), signal, action, previous);
            if (result != 0) {
                throw new IllegalStateException("sigaction(" + signal + ") failed: " + strerror(state.errno()));
            }
            return previous.get(ValueLayout.JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The address of a function of the C library.
     *
     * @param name its symbol
     * @return the function
     * @throws IllegalStateException if the library has no such symbol
     */
    public static MemorySegment function(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new IllegalStateException("libc has no symbol '" + name + "'"));
    }

    /**
     * isatty(3): whether the terminal ioctl TCGETS succeeds on {@code fd}, as glibc asks.
     *
     * @param fd the fd
     * @return 1 if it is a terminal, else 0
     */
    public static int isatty(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            return ioctl(CallState.current(), fd, TCGETS, arena.allocate(KERNEL_TERMIOS_SIZE, 8)) == 0 ? 1 : 0;
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
