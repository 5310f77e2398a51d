/*
 * guest-debug-probe: what this host's KVM does with KVM_SET_GUEST_DEBUG, the way the gdb stub uses it.
 *
 * One real-mode vCPU per case runs   nop; nop; mov [0x800], al; nop; int3; hlt   at 0x1000 (no IDT:
 * an exception the guest takes is a triple fault) with one guest-debug setting, and the probe prints
 * the first exit: KVM_EXIT_DEBUG with its exception, pc and DR6, or what the guest did instead.
 *
 *   single-step                 expect DEBUG, exception 1, pc 0x1001, DR6.BS (bit 14)
 *   hw breakpoint at 0x1001     expect DEBUG, exception 1, pc 0x1001, DR6 bit 0
 *   write watchpoint on 0x800   expect DEBUG, exception 1, pc 0x1005 (after the store), DR6 bit 0
 *   int3 under USE_SW_BP        expect DEBUG, exception 3, pc 0x1006 (the int3 itself)
 *
 * Build and run (in nested KVM: scripts/env/nested-kvm.sh -- scripts/check/guest-debug-probe.sh):
 *   gcc -O2 -o guest-debug-probe guest-debug-probe.c && ./guest-debug-probe
 * Exit code: the number of cases whose exit was not the expected one.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CODE 0x1000
static const uint8_t code[] = {0x90, 0x90, 0xa2, 0x00, 0x08, 0x90, 0xcc, 0xf4};

struct probe {
    const char *name;
    uint32_t control;
    uint64_t dr0, dr7;
    uint32_t exception;
    uint64_t pc, dr6_bits;
};

static const char *exit_name(uint32_t r) {
    switch (r) {
    case KVM_EXIT_DEBUG: return "DEBUG";
    case KVM_EXIT_HLT: return "HLT";
    case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
    case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
    default: return "other";
    }
}

static int run(int kvm, const struct probe *p) {
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct kvm_userspace_memory_region region = {.slot = 0, .guest_phys_addr = 0, .memory_size = 0x10000,
                                                 .userspace_addr = (uint64_t) mem};
    if (vm < 0 || mem == MAP_FAILED || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        perror("guest-debug-probe: VM");
        return 1;
    }
    memcpy(mem + CODE, code, sizeof code);
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *r = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    struct kvm_sregs sregs;
    ioctl(vcpu, KVM_GET_SREGS, &sregs);
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    sregs.ds = sregs.cs;
    sregs.ds.type = 3;
    ioctl(vcpu, KVM_SET_SREGS, &sregs);
    struct kvm_regs regs = {.rip = CODE, .rflags = 2, .rax = 0x42};
    ioctl(vcpu, KVM_SET_REGS, &regs);
    struct kvm_guest_debug debug = {.control = p->control};
    debug.arch.debugreg[0] = p->dr0;
    debug.arch.debugreg[7] = p->dr7;
    if (ioctl(vcpu, KVM_SET_GUEST_DEBUG, &debug) < 0) {
        perror("guest-debug-probe: KVM_SET_GUEST_DEBUG");
        return 1;
    }
    int bad = 1;
    if (ioctl(vcpu, KVM_RUN, 0) < 0) {
        perror("guest-debug-probe: KVM_RUN");
    } else if (r->exit_reason == KVM_EXIT_DEBUG) {
        struct kvm_debug_exit_arch *a = &r->debug.arch;
        bad = !(a->exception == p->exception && a->pc == p->pc && (a->dr6 & p->dr6_bits) == p->dr6_bits);
        printf("%-28s DEBUG exception %u pc 0x%llx dr6 0x%llx%s\n", p->name, a->exception,
               (unsigned long long) a->pc, (unsigned long long) a->dr6, bad ? "   UNEXPECTED" : "");
    } else {
        ioctl(vcpu, KVM_GET_REGS, &regs);
        printf("%-28s %s at rip 0x%llx   UNEXPECTED: the guest ran on\n", p->name, exit_name(r->exit_reason),
               (unsigned long long) regs.rip);
    }
    close(vcpu);
    close(vm);
    munmap(mem, 0x10000);
    return bad;
}

int main(void) {
    int kvm = open("/dev/kvm", O_RDWR);
    if (kvm < 0) {
        perror("guest-debug-probe: /dev/kvm");
        return 125;
    }
    printf("KVM_CAP_SET_GUEST_DEBUG2    0x%x\n", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2));
    const uint32_t on = KVM_GUESTDBG_ENABLE;
    const struct probe probes[] = {
        {"single-step", on | KVM_GUESTDBG_SINGLESTEP, 0, 0, 1, CODE + 1, 1 << 14},
        {"hw breakpoint at 0x1001", on | KVM_GUESTDBG_USE_HW_BP, CODE + 1, 0x602, 1, CODE + 1, 1},
        {"write watchpoint on 0x800", on | KVM_GUESTDBG_USE_HW_BP, 0x800, 0x602 | 1 << 16, 1, CODE + 5, 1},
        {"int3 under USE_SW_BP", on | KVM_GUESTDBG_USE_SW_BP, 0, 0, 3, CODE + 6, 0},
    };
    int failed = 0;
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        failed += run(kvm, &probes[i]);
    }
    return failed;
}
