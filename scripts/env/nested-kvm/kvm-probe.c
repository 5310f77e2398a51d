/*
 * kvm-probe: smallest possible end-to-end check that /dev/kvm really works.
 *
 * It opens /dev/kvm, checks the API version, reports a few capabilities
 * that jvmm cares about, builds a VM with one vCPU and 4 KiB of guest RAM,
 * runs the real-mode snippet  mov al,0x42 ; out 0x10,al ; hlt  and checks
 * that KVM reports KVM_EXIT_IO (port 0x10, value 0x42) and then KVM_EXIT_HLT.
 * Then it tries the ioctls behind those capabilities for real (in-kernel
 * irqchip, irqfd, ioeventfd, binary stats fd) and finally times a loop of
 * PIO exits to give the cost of one exit.
 *
 * Build it static so that it runs anywhere (e.g. a busybox initramfs):
 *   gcc -O2 -static -o kvm-probe kvm-probe.c
 * Usage: kvm-probe [PIO_EXIT_ITERATIONS]   (default 20000; 0 skips timing)
 * Exit code 0 only if every check passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_ADDR 0x1000
#define MEM_SIZE 0x1000
#define LOOP_OFF 0x10

static int failures;

static void fail(const char *what) {
    fprintf(stderr, "kvm-probe: FAIL %s: %s\n", what, strerror(errno));
    failures++;
}

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *exit_name(uint32_t r) {
    switch (r) {
    case KVM_EXIT_IO: return "KVM_EXIT_IO";
    case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
    case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
    case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
    case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
    case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
    default: return "other";
    }
}

/* Point the vCPU at GUEST_ADDR in real mode with flat CS. */
static int reset_vcpu(int vcpu) {
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) { fail("KVM_GET_SREGS"); return -1; }
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) { fail("KVM_SET_SREGS"); return -1; }
    memset(&regs, 0, sizeof regs);
    regs.rip = GUEST_ADDR;
    regs.rflags = 2; /* bit 1 is reserved and must be set */
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) { fail("KVM_SET_REGS"); return -1; }
    return 0;
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 20000;

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) { fail("open /dev/kvm"); return 1; }

    int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    printf("KVM_GET_API_VERSION = %d%s\n", api, api == 12 ? "" : "  (expected 12!)");
    if (api != 12) failures++;

    /* Capabilities jvmm may rely on; 0 means "not available here". */
    static const struct { int cap; const char *name; } caps[] = {
        { 32,  "KVM_CAP_IRQFD" },
        { 36,  "KVM_CAP_IOEVENTFD" },
        { 136, "KVM_CAP_IMMEDIATE_EXIT" },
        { 203, "KVM_CAP_BINARY_STATS_FD" },
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
        { KVM_CAP_NR_VCPUS, "KVM_CAP_NR_VCPUS" },
        { KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS" },
        { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
        { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        printf("KVM_CHECK_EXTENSION %-24s (%3d) = %d\n", caps[i].name, caps[i].cap,
               ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap));

    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) { fail("KVM_CREATE_VM"); return 1; }

    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) { fail("mmap guest memory"); return 1; }
    static const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 }; /* mov al,0x42; out 0x10,al; hlt */
    memcpy(mem, code, sizeof code);
    /* At +0x10, the timing loop:  1: out 0x10,al ; jmp 1b  */
    static const uint8_t loop[] = { 0xe6, 0x10, 0xeb, 0xfc };
    memcpy(mem + LOOP_OFF, loop, sizeof loop);

    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = GUEST_ADDR, .memory_size = MEM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) { fail("KVM_SET_USER_MEMORY_REGION"); return 1; }

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) { fail("KVM_CREATE_VCPU"); return 1; }
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < 0) { fail("KVM_GET_VCPU_MMAP_SIZE"); return 1; }
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) { fail("mmap kvm_run"); return 1; }

    if (reset_vcpu(vcpu) < 0) return 1;

    /* First run: expect the OUT, second run: expect the HLT. */
    int saw_io = 0, saw_hlt = 0;
    for (int step = 0; step < 2; step++) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) { fail("KVM_RUN"); return 1; }
        printf("KVM_RUN exit_reason = %u (%s)", run->exit_reason, exit_name(run->exit_reason));
        if (run->exit_reason == KVM_EXIT_IO) {
            uint8_t val = *((uint8_t *)run + run->io.data_offset);
            printf(" dir=%s port=0x%x size=%u value=0x%x",
                   run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
                   run->io.port, run->io.size, val);
            saw_io = run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0x10 && val == 0x42;
        } else if (run->exit_reason == KVM_EXIT_HLT) {
            saw_hlt = 1;
        } else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
            printf(" hardware_entry_failure_reason=0x%llx",
                   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        } else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
            printf(" suberror=%u", run->internal.suberror);
        }
        printf("\n");
        if (run->exit_reason != KVM_EXIT_IO) break;
    }
    if (!saw_io) { fprintf(stderr, "kvm-probe: FAIL expected KVM_EXIT_IO port 0x10 value 0x42\n"); failures++; }
    if (!saw_hlt) { fprintf(stderr, "kvm-probe: FAIL expected KVM_EXIT_HLT\n"); failures++; }

    /* The capabilities above, exercised on a second VM. */
    int vm2 = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm2 < 0) { fail("KVM_CREATE_VM (second VM)"); return 1; }
    if (ioctl(vm2, KVM_CREATE_IRQCHIP, 0) < 0) fail("KVM_CREATE_IRQCHIP");
    else printf("KVM_CREATE_IRQCHIP: ok\n");
    struct kvm_irqfd irqfd = { .fd = (uint32_t)eventfd(0, EFD_CLOEXEC), .gsi = 5 };
    if (ioctl(vm2, KVM_IRQFD, &irqfd) < 0) fail("KVM_IRQFD");
    else printf("KVM_IRQFD: ok\n");
    struct kvm_ioeventfd ioev = { .addr = 0x20, .len = 1, .fd = eventfd(0, EFD_CLOEXEC),
                                  .flags = KVM_IOEVENTFD_FLAG_PIO };
    if (ioctl(vm2, KVM_IOEVENTFD, &ioev) < 0) fail("KVM_IOEVENTFD");
    else printf("KVM_IOEVENTFD: ok\n");
    int stats = ioctl(vcpu, KVM_GET_STATS_FD, 0);
    struct kvm_stats_header hdr;
    if (stats < 0) fail("KVM_GET_STATS_FD");
    else if (pread(stats, &hdr, sizeof hdr, 0) != sizeof hdr) fail("read stats header");
    else printf("KVM_GET_STATS_FD (vcpu): ok, %u descriptors\n", hdr.num_desc);

    /* Timing: the guest loops on an OUT, so every KVM_RUN is exactly one PIO exit. */
    if (iterations > 0 && saw_io && saw_hlt) {
        struct kvm_regs regs;
        memset(&regs, 0, sizeof regs);
        regs.rip = GUEST_ADDR + LOOP_OFF;
        regs.rflags = 2;
        if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) { fail("KVM_SET_REGS (loop)"); return 1; }
        double t0 = now_sec();
        for (long i = 0; i < iterations; i++) {
            if (ioctl(vcpu, KVM_RUN, 0) < 0) { fail("KVM_RUN (loop)"); return 1; }
            if (run->exit_reason != KVM_EXIT_IO) {
                fprintf(stderr, "kvm-probe: FAIL loop exit_reason %u\n", run->exit_reason);
                failures++;
                break;
            }
        }
        double dt = now_sec() - t0;
        printf("PIO exits: %ld in %.3f s = %.1f us per exit (one KVM_RUN round trip each)\n",
               iterations, dt, dt / iterations * 1e6);
    }

    printf("kvm-probe: %s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
