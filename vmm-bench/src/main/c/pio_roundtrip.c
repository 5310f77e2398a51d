/*
 * The C reference for `jvmm bench exit-roundtrip`: the same real-mode guest as the Java side
 * (N port writes to port 0x10, then hlt), run with a bare KVM_RUN loop, and again with a signal mask
 * set by KVM_SET_SIGNAL_MASK, which makes KVM swap the thread's mask on every entry and exit (the
 * cost a VMM pays when it blocks its kick signal outside the guest instead of handling it). The
 * two alternate, round by round. Prints one line:
 *   c_ns_per_exit=<double> c_sigmask_ns_per_exit=<double> exits=<n>
 * Build: gcc -O2 -o pio_roundtrip pio_roundtrip.c
 */
#include <fcntl.h>
#include <signal.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static double run_once(int kvm, uint32_t exits, int with_mask) {
    /* mov ecx, N; l: out 0x10, al; dec ecx; jnz l; hlt */
    uint8_t code[] = {0x66, 0xb9, 0, 0, 0, 0, 0xe6, 0x10, 0x66, 0x49, 0x75, 0xfa, 0xf4};
    memcpy(code + 2, &exits, 4);
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    size_t mem_size = 0x10000;
    uint8_t *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) die("mmap");
    memcpy(mem + 0x7c00, code, sizeof code);
    struct kvm_userspace_memory_region region = {.slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
                                                 .userspace_addr = (uint64_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");
    if (with_mask) {
        /* The mask in force inside KVM_RUN: nothing blocked (the thread itself blocks SIGRTMIN+6). */
        struct { struct kvm_signal_mask header; uint64_t mask; } sigmask = {{.len = 8}, 0};
        if (ioctl(vcpu, KVM_SET_SIGNAL_MASK, &sigmask) < 0) die("KVM_SET_SIGNAL_MASK");
    }
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
    sregs.cs.base = 0; sregs.cs.selector = 0;
    sregs.ds.base = 0; sregs.ds.selector = 0;
    sregs.ss.base = 0; sregs.ss.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = 0x7c00, .rsp = 0x7000, .rflags = 2};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");
    uint64_t seen = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
        if (run->exit_reason == KVM_EXIT_IO) { seen++; continue; }
        if (run->exit_reason == KVM_EXIT_HLT) break;
        fprintf(stderr, "unexpected exit %u\n", run->exit_reason);
        exit(1);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (seen != exits) { fprintf(stderr, "saw %lu exits, expected %u\n", (unsigned long)seen, exits); exit(1); }
    munmap(run, run_size); close(vcpu); close(vm); munmap(mem, mem_size);
    return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / exits;
}

int main(int argc, char **argv) {
    uint32_t exits = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open /dev/kvm");
    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, SIGRTMIN + 6);
    if (pthread_sigmask(SIG_BLOCK, &kick, NULL) != 0) die("pthread_sigmask");
    run_once(kvm, exits / 10 + 1, 0); /* warm-up */
    double best[2] = {1e300, 1e300};
    for (int i = 0; i < rounds; i++) {
        for (int with_mask = 0; with_mask < 2; with_mask++) {
            double ns = run_once(kvm, exits, with_mask);
            if (ns < best[with_mask]) best[with_mask] = ns;
        }
    }
    printf("c_ns_per_exit=%.1f c_sigmask_ns_per_exit=%.1f exits=%u\n", best[0], best[1], exits);
    return 0;
}
