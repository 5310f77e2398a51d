package org.jvmm.core.kvm;

import java.lang.foreign.MemorySegment;
import org.jvmm.core.sys.BenchCalls;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * vmm-bench's way to {@link VcpuFd#synthetic}, which vmm-core keeps package-private: this class sits
 * in the same package on the benchmarks jar's class path (where module boundaries do not apply).
 * Only benchmarks use it.
 */
public final class SyntheticVcpus {

    private SyntheticVcpus() {}

    /**
     * A vCPU whose {@code KVM_RUN} is {@code ioctl(fd, request, 0)}, with its exits in {@code page}.
     *
     * @param fd      an open fd; the vCPU owns and closes it
     * @param request the ioctl request made in place of {@code KVM_RUN}
     * @param page    the {@code kvm_run} image, at least {@code sizeof(struct kvm_run)}
     * @return the vCPU
     */
    public static VcpuFd ioctl(int fd, long request, MemorySegment page) {
        return VcpuFd.synthetic(fd, new Ioctl(request), page);
    }

    /**
     * A vCPU whose {@code KVM_RUN} is a call of {@code jvmm_bench_run_noop(fd, request, 0)}, a C
     * function with ioctl's signature that returns 0 without entering the kernel, made through a
     * downcall of the same shape as jvmm's KVM_RUN (no errno capture, variadic after two arguments).
     *
     * @param fd      an open fd; the vCPU owns and closes it
     * @param request passed along, unused
     * @param page    the {@code kvm_run} image
     * @return the vCPU
     */
    public static VcpuFd noop(int fd, long request, MemorySegment page) {
        return VcpuFd.synthetic(fd, new Noop(request), page);
    }

    private record Ioctl(long request) implements RunCall {
        @Override
        public int run(int fd) {
            return Libc.ioctlWithoutErrno(fd, request, 0L);
        }

        @Override
        public int runCapturingErrno(CallState state, int fd) {
            return Libc.ioctl(state, fd, request, 0L);
        }
    }

    private record Noop(long request) implements RunCall {
        @Override
        public int run(int fd) {
            return BenchCalls.noop(fd, request, 0L);
        }

        @Override
        public int runCapturingErrno(CallState state, int fd) {
            return run(fd);
        }
    }
}
