/*
 * The C side of KvmRoundTripBenchmark and KvmLifecycleBenchmark: the same work as jvmm's Java
 * path, written the way a small C VMM would, and called through one FFM downcall per JMH
 * invocation, so the downcall's cost is spread over many exits (or one whole VM lifetime).
 *
 * Built by Maven (build-lib.sh) into target/classes, where the benchmarks jar picks it up.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Returned for an exit the loop does not expect: JVMM_BENCH_BAD_EXIT - exit_reason. */
#define JVMM_BENCH_BAD_EXIT (-0x10000L)

/* One device on a bus, like a Java BusDevice behind a Bus entry: it adds up what it is written. */
struct device {
    uint64_t base;
    uint64_t size;
    void (*write)(struct device *dev, uint64_t offset, uint32_t size, uint64_t value);
    uint64_t sum;
};

static void sum_write(struct device *dev, uint64_t offset, uint32_t size, uint64_t value) {
    (void)offset;
    (void)size;
    dev->sum += value;
}

static struct device *lookup(struct device *dev, uint64_t address) {
    return address - dev->base < dev->size ? dev : NULL;
}

static uint64_t load(const uint8_t *p, uint32_t size) {
    uint64_t value = 0;
    memcpy(&value, p, size <= 8 ? size : 8);
    return value;
}

static void handle_io(struct kvm_run *run, struct device *bus) {
    if (run->io.direction != KVM_EXIT_IO_OUT) {
        memset((uint8_t *)run + run->io.data_offset, 0xff, (size_t)run->io.size * run->io.count);
        return;
    }
    struct device *dev = lookup(bus, run->io.port);
    const uint8_t *data = (const uint8_t *)run + run->io.data_offset;
    for (uint32_t i = 0; dev != NULL && i < run->io.count; i++) {
        dev->write(dev, run->io.port - dev->base, run->io.size, load(data + (size_t)i * run->io.size, run->io.size));
    }
}

static void handle_mmio(struct kvm_run *run, struct device *bus) {
    struct device *dev = lookup(bus, run->mmio.phys_addr);
    if (!run->mmio.is_write) {
        memset(run->mmio.data, 0xff, sizeof run->mmio.data);
    } else if (dev != NULL) {
        dev->write(dev, run->mmio.phys_addr - dev->base, run->mmio.len, load(run->mmio.data, run->mmio.len));
    }
}

/*
 * Runs the vCPU for `exits` exits: KVM_RUN, read the exit reason, dispatch, run again. Port I/O
 * goes to a device at [pio_base, pio_base + 1), MMIO to one at [mmio_base, mmio_base + 0x1000);
 * an HLT is answered with KVM_INTERRUPT(vector) when vector >= 0, and is an error otherwise.
 * Returns what the devices were written, summed, or -errno, or JVMM_BENCH_BAD_EXIT - reason.
 */
long jvmm_bench_loop(int vcpu, struct kvm_run *run, long exits, int pio_base, uint64_t mmio_base, int vector) {
    struct device pio = {.base = (uint64_t)pio_base, .size = 1, .write = sum_write};
    struct device mmio = {.base = mmio_base, .size = 0x1000, .write = sum_write};
    for (long i = 0; i < exits;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -errno;
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            handle_io(run, &pio);
            break;
        case KVM_EXIT_MMIO:
            handle_mmio(run, &mmio);
            break;
        case KVM_EXIT_HLT: {
            if (vector < 0 || !run->ready_for_interrupt_injection) {
                return JVMM_BENCH_BAD_EXIT - KVM_EXIT_HLT;
            }
            struct kvm_interrupt irq = {.irq = (uint32_t)vector};
            if (ioctl(vcpu, KVM_INTERRUPT, &irq) < 0) {
                return -errno;
            }
            break;
        }
        default:
            return JVMM_BENCH_BAD_EXIT - (long)run->exit_reason;
        }
        i++;
    }
    return (long)(pio.sum + mmio.sum);
}

/*
 * One VM lifetime, as KvmLifecycleBenchmark.runToHlt does it in Java: KVM_CREATE_VM, `ram_size`
 * bytes of anonymous RAM at guest address 0 with `code` at `entry`, one vCPU in real mode,
 * KVM_RUN until HLT, then everything closed and unmapped. Returns 0 or -errno, or
 * JVMM_BENCH_BAD_EXIT - reason when the guest stops for anything but HLT.
 */
long jvmm_bench_lifecycle(int kvm, int run_size, uint64_t ram_size, const uint8_t *code, uint64_t code_size,
                          uint64_t entry, uint64_t stack) {
    long result = 0;
    int vcpu = -1;
    struct kvm_run *run = MAP_FAILED;
    struct kvm_sregs sregs;
    struct kvm_regs regs = {.rip = entry, .rsp = stack, .rflags = 2};
    struct kvm_userspace_memory_region region = {.slot = 0, .guest_phys_addr = 0, .memory_size = ram_size};
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) {
        return -errno;
    }
    uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED) {
        result = -errno;
        close(vm);
        return result;
    }
    memcpy(ram + entry, code, code_size);
    region.userspace_addr = (uint64_t)(uintptr_t)ram;
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 || (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0) {
        result = -errno;
        goto out;
    }
    run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
        result = -errno;
        goto out;
    }
    struct kvm_segment *segments[] = {&sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss};
    for (size_t i = 0; i < sizeof segments / sizeof segments[0]; i++) {
        segments[i]->base = 0;
        segments[i]->selector = 0;
    }
    sregs.cr0 &= ~1ULL;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
        result = -errno;
        goto out;
    }
    while (ioctl(vcpu, KVM_RUN, 0) < 0) {
        if (errno != EINTR && errno != EAGAIN) {
            result = -errno;
            goto out;
        }
    }
    if (run->exit_reason != KVM_EXIT_HLT) {
        result = JVMM_BENCH_BAD_EXIT - (long)run->exit_reason;
    }
out:
    if (run != MAP_FAILED) {
        munmap(run, (size_t)run_size);
    }
    if (vcpu >= 0) {
        close(vcpu);
    }
    close(vm);
    munmap(ram, ram_size);
    return result;
}
