package org.jvmm.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.SystemCallException;

/**
 * Where a downcall stores errno. One per thread: a shared one would let two threads overwrite each
 * other's errno between the call and the check. A vCPU thread owns one for its whole life;
 * other callers use {@link #current()}.
 */
public final class CallState {

    private static final MemoryLayout LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<CallState> CURRENT = ThreadLocal.withInitial(() -> new CallState(Arena.ofAuto()));

    private final MemorySegment segment;

    /**
     * Creates a capture area owned by {@code arena}.
     *
     * @param arena the owner; a confined arena ties it to one thread
     */
    public CallState(Arena arena) {
        this.segment = arena.allocate(LAYOUT);
    }

    /** {@return the calling thread's capture area} */
    public static CallState current() {
        return CURRENT.get();
    }

    MemorySegment segment() {
        return segment;
    }

    /** {@return errno as captured by the last call that used this state} */
    public int errno() {
        return (int) ERRNO.get(segment, 0L);
    }

    /**
     * Throws if a call returned -1.
     *
     * @param result    what the call returned
     * @param operation the call's name for the message, e.g. {@code "KVM_CREATE_VM"}
     * @return {@code result}
     * @throws KvmException naming the operation and errno when {@code result} is -1
     */
    public int check(int result, String operation) {
        if (result == -1) {
            throw new KvmException(operation, errno());
        }
        return result;
    }

    /**
     * Throws if a system call other than KVM's returned -1.
     *
     * @param result    what the call returned
     * @param operation the call's name for the message, e.g. {@code "eventfd"}
     * @return {@code result}
     * @throws SystemCallException naming the operation and errno when {@code result} is -1
     */
    public long checkSystem(long result, String operation) {
        if (result == -1) {
            throw new SystemCallException(operation, errno());
        }
        return result;
    }
}
