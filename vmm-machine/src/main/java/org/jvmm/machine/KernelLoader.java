package org.jvmm.machine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.jvmm.core.boot.BootException;
import org.jvmm.core.boot.BootFile;
import org.jvmm.core.boot.KernelFormat;
import org.jvmm.core.boot.KernelImage;
import org.jvmm.core.boot.MultibootKernel;
import org.jvmm.core.boot.VirtioMmioSlot;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * Boots a {@link KernelBoot}'s file by the protocol the file speaks ({@link KernelFormat#detect}, the
 * order QEMU uses): a Linux bzImage or vmlinux through {@link LinuxLoader}, a Multiboot kernel through
 * {@link MultibootLoader}. The machine calls the steps in the order declared here.
 */
sealed interface KernelLoader permits LinuxLoader, MultibootLoader {

    /**
     * Maps the file and tells its format, before anything touches KVM: a file that is not a kernel
     * jvmm can boot is the caller's to fix. The file is mapped, not read: its bytes go from the page
     * cache into guest RAM at {@link #load}, never onto the Java heap, and the loader must not be
     * asked to load once {@code file} is closed.
     *
     * @param config the kernel to boot
     * @param file   owner of the file's mapping, open until {@link #load} has returned
     * @return the loader for its format
     * @throws IOException            when the file cannot be opened or mapped
     * @throws MachineConfigException naming the boot error when it is not a kernel jvmm can boot
     */
    static KernelLoader read(KernelBoot config, Arena file) throws IOException {
        MemorySegment bytes = BootFile.map(config.kernel(), file);
        try {
            return switch (KernelFormat.detect(bytes)) {
                case LINUX -> new LinuxLoader(config, KernelImage.parse(bytes));
                case MULTIBOOT -> new MultibootLoader(config, MultibootKernel.parse(bytes));
            };
        } catch (BootException e) {
            throw new MachineConfigException("kernel " + config.kernel() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Before RAM and vCPUs: KVM's TSS and identity-map pages, the in-kernel irqchip and PIT.
     *
     * @param vm the VM
     */
    void configureVm(VmFd vm);

    /**
     * Loads the kernel (and initrd) and writes the boot data.
     *
     * @param memory guest RAM
     * @param cpus   vCPU count
     * @param slots  the virtio-mmio slots in use
     * @throws IOException            when the initrd cannot be read
     * @throws MachineConfigException when what the user gave does not fit the machine
     */
    void load(GuestMemory memory, int cpus, List<VirtioMmioSlot> slots) throws IOException;

    /**
     * Sets one vCPU's CPUID, MSRs and (vCPU 0) entry state.
     *
     * @param fd    the vCPU
     * @param cpuid the CPUID every vCPU gets before its own fields (KVM's, filtered by {@code --cpu})
     */
    void configureVcpu(VcpuFd fd, Cpuid cpuid);
}
