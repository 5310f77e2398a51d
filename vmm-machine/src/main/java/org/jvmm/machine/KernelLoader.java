package org.jvmm.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.jvmm.core.boot.BootException;
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
     * Reads the file and tells its format, before anything touches KVM: a file that is not a kernel
     * jvmm can boot is the caller's to fix.
     *
     * @param config the kernel to boot
     * @return the loader for its format
     * @throws IOException            when the file cannot be read
     * @throws MachineConfigException naming the boot error when it is not a kernel jvmm can boot
     */
    static KernelLoader read(KernelBoot config) throws IOException {
        byte[] bytes = Files.readAllBytes(config.kernel());
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
