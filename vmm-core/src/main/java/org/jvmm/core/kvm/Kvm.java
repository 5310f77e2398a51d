package org.jvmm.core.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.jvmm.core.kvm.abi.KvmIoctls;
import org.jvmm.core.kvm.abi.KvmLayouts;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * The open {@code /dev/kvm}: system-wide queries and the factory of VMs. Opening checks the API
 * version, so a handle that exists speaks the API jvmm was written for.
 *
 * <pre>{@code
 * try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm()) { ... }
 * }</pre>
 */
public final class Kvm implements AutoCloseable {

    /** The only KVM API version there has ever been in mainline Linux. */
    public static final int API_VERSION = 12;
    /** Where KVM lives. */
    public static final Path DEFAULT_PATH = Path.of("/dev/kvm");

    private static final int MAX_CPUID_ENTRIES = 256;
    private static final int MAX_MSR_INDICES = 1024;

    private final OwnedFd fd;
    private final int vcpuMmapSize;

    private Kvm(OwnedFd fd) {
        this.fd = fd;
        try {
            CallState state = CallState.current();
            int version = state.check(Libc.ioctl(state, fd.get(), KvmIoctls.GET_API_VERSION, 0L), "KVM_GET_API_VERSION");
            if (version != API_VERSION) {
                throw new KvmException("KVM_GET_API_VERSION", "the kernel offers KVM API " + version + ", jvmm needs " + API_VERSION);
            }
            this.vcpuMmapSize = state.check(Libc.ioctl(state, fd.get(), KvmIoctls.GET_VCPU_MMAP_SIZE, 0L), "KVM_GET_VCPU_MMAP_SIZE");
            // Every VM of this KVM will run vCPUs: their KVM_RUN downcall links while the VM is set up.
            Libc.linkIoctlWithoutErrnoInBackground();
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /**
     * Opens {@code /dev/kvm}.
     *
     * @return the handle
     * @throws KvmException if it cannot be opened (ENOENT: no KVM; EACCES: no permission) or
     *                      speaks another API version
     */
    public static Kvm open() {
        return open(DEFAULT_PATH);
    }

    /**
     * Opens a KVM device node.
     *
     * @param path the node, normally {@code /dev/kvm}
     * @return the handle
     * @throws KvmException if it cannot be opened or speaks another API version
     */
    public static Kvm open(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            CallState state = CallState.current();
            int raw = Libc.open(state, Libc.cString(arena, path.toString()), Libc.O_RDWR | Libc.O_CLOEXEC);
            state.check(raw, "open " + path);
            return new Kvm(new OwnedFd(raw));
        }
    }

    /** {@return the raw fd, for callers that need an ioctl jvmm does not wrap} */
    public int fd() {
        return fd.get();
    }

    /** {@return the size of each vCPU's {@code kvm_run} mapping} */
    public int vcpuMmapSize() {
        return vcpuMmapSize;
    }

    /**
     * {@code KVM_CHECK_EXTENSION}.
     *
     * @param capability the capability
     * @return 0 if absent, else a capability-specific positive value
     */
    public int checkExtension(Capability capability) {
        CallState state = CallState.current();
        return state.check(Libc.ioctl(state, fd.get(), KvmIoctls.CHECK_EXTENSION, capability.code()), "KVM_CHECK_EXTENSION");
    }

    /**
     * {@code KVM_GET_SUPPORTED_CPUID}: the CPUID leaves KVM can present to a guest.
     *
     * @return the entries
     */
    public Cpuid supportedCpuid() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(KvmLayouts.CPUID2.byteSize()
                    + MAX_CPUID_ENTRIES * KvmLayouts.CPUID_ENTRY2.byteSize(), 8);
            buffer.set(ValueLayout.JAVA_INT, 0, MAX_CPUID_ENTRIES);
            CallState state = CallState.current();
            state.check(Libc.ioctl(state, fd.get(), KvmIoctls.GET_SUPPORTED_CPUID, buffer), "KVM_GET_SUPPORTED_CPUID");
            return Cpuid.decode(buffer);
        }
    }

    /**
     * {@code KVM_GET_MSR_INDEX_LIST}: the MSRs KVM saves and restores.
     *
     * @return the MSR indices
     */
    public int[] msrIndexList() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4L + 4L * MAX_MSR_INDICES, 4);
            buffer.set(ValueLayout.JAVA_INT, 0, MAX_MSR_INDICES);
            CallState state = CallState.current();
            state.check(Libc.ioctl(state, fd.get(), KvmIoctls.GET_MSR_INDEX_LIST, buffer), "KVM_GET_MSR_INDEX_LIST");
            int count = buffer.get(ValueLayout.JAVA_INT, 0);
            return buffer.asSlice(4, 4L * count).toArray(ValueLayout.JAVA_INT);
        }
    }

    /**
     * {@code KVM_CREATE_VM}.
     *
     * @return the new VM, owning its fd
     */
    public VmFd createVm() {
        CallState state = CallState.current();
        int raw = state.check(Libc.ioctl(state, fd.get(), KvmIoctls.CREATE_VM, 0L), "KVM_CREATE_VM");
        return new VmFd(this, new OwnedFd(raw));
    }

    /** Closes {@code /dev/kvm}. VMs created from it stay usable. Calling it again does nothing. */
    @Override
    public void close() {
        fd.close();
    }
}
