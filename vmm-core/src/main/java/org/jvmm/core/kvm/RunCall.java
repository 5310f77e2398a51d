package org.jvmm.core.kvm;

import org.jvmm.core.kvm.abi.KvmIoctls;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * How {@link VcpuFd#run()} enters the guest: {@code KVM_RUN} on the vCPU fd, the only
 * implementation in jvmm. The seam exists for the benchmark of the Java cost of an exit (vmm-bench),
 * which runs the vCPU loop on a host without KVM with a stand-in here: a cheap call, the same in
 * its C baseline. With one implementation loaded, the JIT binds the call directly.
 */
interface RunCall {

    /**
     * Makes the call, the exit path's: errno is not captured.
     *
     * @param fd the vCPU fd
     * @return 0, or -1
     */
    int run(int fd);

    /**
     * {@return whether {@link #run} is ready to be called without waiting (its downcall linked)}
     * Asked only on the slow path, after a call that captured errno. A stand-in is always ready.
     */
    default boolean ready() {
        return true;
    }

    /**
     * Makes the call capturing errno: the call after a failed one, which tells why if it fails too,
     * and every call until {@link #ready}.
     *
     * @param state errno capture of the calling thread
     * @param fd    the vCPU fd
     * @return 0, or -1 with errno in {@code state}
     */
    int runCapturingErrno(CallState state, int fd);

    /** {@code ioctl(fd, KVM_RUN, 0)}. */
    final class KvmRunIoctl implements RunCall {
        static final KvmRunIoctl INSTANCE = new KvmRunIoctl();

        private KvmRunIoctl() {}

        @Override
        public int run(int fd) {
            return Libc.ioctlWithoutErrno(fd, KvmIoctls.RUN, 0L);
        }

        @Override
        public boolean ready() {
            return Libc.ioctlWithoutErrnoLinked();
        }

        @Override
        public int runCapturingErrno(CallState state, int fd) {
            return Libc.ioctl(state, fd, KvmIoctls.RUN, 0L);
        }
    }
}
