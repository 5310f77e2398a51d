/*
 * jvmm guest runtime: the interface the built-in guests are written against.
 *
 * Privilege split: the VMM's KVM interprets ring-0 code (about 260 ns per instruction) and runs ring-3
 * code natively, so the runtime does its setup in a few hundred ring-0 instructions (entry.S), then
 * calls guest_main() in ring 3 with IOPL 3. Port I/O, MMIO and all RAM are reachable from ring 3 (the
 * VMM's page tables are user-accessible). Ring 0 is entered again only for interrupts, exceptions and
 * the two system calls below. Code that runs in ring 0 is marked KERNEL and lands in .ktext, which
 * tools/disasm-check.sh holds to the instructions KVM's emulator implements.
 */
#ifndef JVMM_H
#define JVMM_H

#include <stddef.h>
#include <stdint.h>

#define KERNEL __attribute__((section(".ktext"), noinline))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The parameter block (docs/machine.md). */
#define JVMM_PARAMS_MAGIC 0x4d4d564au
#define JVMM_FLAG_IRQCHIP 1u

struct jvmm_params {
    uint32_t magic;
    uint32_t version;
    uint64_t ram_size;
    uint32_t vcpus;
    uint32_t virtio_slots;
    uint64_t flags;
    uint64_t args[16];
    uint64_t results[8];
};
_Static_assert(offsetof(struct jvmm_params, args) == 0x20, "args at 0x20");
_Static_assert(offsetof(struct jvmm_params, results) == 0xa0, "results at 0xa0");

/* Result words every guest shares (guests/README.md). results[0..3] are guest-specific. */
#define RES_IRQS 4          /* device interrupts handled */
#define RES_FEATURES 5      /* virtio guests: negotiated feature bits */
#define RES_STATUS 7        /* RES_DONE_MAGIC << 32 | exit code, written just before the debug exit */
#define RES_DONE_MAGIC 0x454e4f44ull   /* "DONE" */
/* After an exception: results[3] = CS, [4] = error code, [5] = CR2, [6] = RIP, [7] = status. */

/* Exit codes (the value v written to port 0xf4; jvmm exits with (v << 1) | 1). All below 0x80. */
enum {
    EXIT_OK = 0,
    EXIT_NO_PARAMS = 0x01,       /* parameter block magic missing */
    EXIT_NO_MEMORY = 0x02,       /* the buffers the arguments ask for do not fit in RAM */
    EXIT_BAD_ARGS = 0x03,        /* an argument is out of range */
    EXIT_NO_IRQCHIP = 0x04,      /* interrupts requested but the in-kernel irqchip is absent */
    EXIT_VIRTIO_MAGIC = 0x10,    /* no virtio-mmio device in the slot (magic != "virt") */
    EXIT_VIRTIO_VERSION = 0x11,  /* not a version 2 (modern) virtio-mmio device */
    EXIT_VIRTIO_DEVICE = 0x12,   /* wrong device id in the slot */
    EXIT_VIRTIO_NO_V1 = 0x13,    /* VIRTIO_F_VERSION_1 not offered */
    EXIT_VIRTIO_FEATURE = 0x14,  /* a feature the arguments ask for is not offered */
    EXIT_VIRTIO_FEATURES_OK = 0x15, /* the device cleared FEATURES_OK */
    EXIT_VIRTIO_QUEUE = 0x16,    /* queue missing (QueueNumMax 0) or already live */
    EXIT_VIRTIO_USED = 0x17,     /* the device returned a bad used element */
    EXIT_VIRTIO_NEEDS_RESET = 0x18, /* DEVICE_NEEDS_RESET set, or a reset that never completes */
    EXIT_ATA_ABSENT = 0x20,      /* status register reads 0xff: no ATA device */
    EXIT_ATA_ERROR = 0x21,       /* ERR or DF in the status register */
    EXIT_BLK_STATUS = 0x22,      /* a virtio-blk request completed with status != OK */
    EXIT_BLK_CAPACITY = 0x23,    /* the disk is smaller than the requested range */
    EXIT_BLK_VERIFY = 0x24,      /* read-back differs from what was written */
    EXIT_BLK_FLUSH = 0x25,       /* FLUSH completed with status != OK */
    EXIT_BLK_READ_ONLY = 0x26,   /* device offers VIRTIO_BLK_F_RO */
    EXIT_RNG_STALL = 0x28,       /* the rng device keeps returning empty buffers */
    EXIT_HOSTILE_STUCK = 0x30,   /* hostile guests: a good request never came back */
    EXIT_HOSTILE_WITNESS = 0x31, /* hostile guests: the device that was not attacked stopped working */
    EXIT_EXCEPTION = 0x40,       /* + vector: a CPU exception, 0x40..0x5f */
};

extern struct jvmm_params *params;
extern uint64_t ram_size;
extern volatile uint32_t irq_events;    /* incremented by every handled device interrupt */

/* Each guest defines this; it runs in ring 3 and returns the exit code. */
int guest_main(void);

/* ---- port I/O (ring 0 or ring 3 with IOPL 3) ---- */
ALWAYS_INLINE void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
ALWAYS_INLINE void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
ALWAYS_INLINE void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
ALWAYS_INLINE uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
ALWAYS_INLINE uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
ALWAYS_INLINE uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
/* One instruction: KVM exits once with the whole count for ins, once per byte for outs. */
ALWAYS_INLINE void insw_rep(uint16_t port, void *buf, size_t words)
{
    __asm__ volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}
ALWAYS_INLINE void outsb_rep(uint16_t port, const void *buf, size_t n)
{
    __asm__ volatile("rep outsb" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

/* ---- MMIO: exactly one 32-bit access each ---- */
ALWAYS_INLINE uint32_t mmio_read32(uintptr_t addr)
{
    uint32_t v;
    __asm__ volatile("movl %1, %0" : "=r"(v) : "m"(*(volatile uint32_t *)addr) : "memory");
    return v;
}
ALWAYS_INLINE void mmio_write32(uintptr_t addr, uint32_t v)
{
    __asm__ volatile("movl %1, %0" : "=m"(*(volatile uint32_t *)addr) : "r"(v) : "memory");
}
ALWAYS_INLINE uint8_t mmio_read8(uintptr_t addr)
{
    uint8_t v;
    __asm__ volatile("movb %1, %0" : "=q"(v) : "m"(*(volatile uint8_t *)addr) : "memory");
    return v;
}
/* The other widths, for the hostile guests: one access of exactly that size each. */
ALWAYS_INLINE uint16_t mmio_read16(uintptr_t addr)
{
    uint16_t v;
    __asm__ volatile("movw %1, %0" : "=r"(v) : "m"(*(volatile uint16_t *)addr) : "memory");
    return v;
}
ALWAYS_INLINE uint64_t mmio_read64(uintptr_t addr)
{
    uint64_t v;
    __asm__ volatile("movq %1, %0" : "=r"(v) : "m"(*(volatile uint64_t *)addr) : "memory");
    return v;
}
ALWAYS_INLINE void mmio_write8(uintptr_t addr, uint8_t v)
{
    __asm__ volatile("movb %1, %0" : "=m"(*(volatile uint8_t *)addr) : "q"(v) : "memory");
}
ALWAYS_INLINE void mmio_write16(uintptr_t addr, uint16_t v)
{
    __asm__ volatile("movw %1, %0" : "=m"(*(volatile uint16_t *)addr) : "r"(v) : "memory");
}
ALWAYS_INLINE void mmio_write64(uintptr_t addr, uint64_t v)
{
    __asm__ volatile("movq %1, %0" : "=m"(*(volatile uint64_t *)addr) : "r"(v) : "memory");
}

/* ---- ordering (x86-TSO): stores stay ordered with stores and loads with loads, so the compiler
 * barrier suffices for publish/consume; only store->load needs mfence. mfence is ring 3 only:
 * KVM's emulator does not implement it. ---- */
ALWAYS_INLINE void barrier(void) { __asm__ volatile("" : : : "memory"); }
ALWAYS_INLINE void mb_user(void) { __asm__ volatile("mfence" : : : "memory"); }
ALWAYS_INLINE void cpu_relax(void) { __asm__ volatile("pause" : : : "memory"); }

/* ---- system calls (ring 3 -> ring 0 through syscall/sysret) ---- */
#define SYS_WAIT_IRQ 0
#define SYS_KCALL 1
typedef uint64_t (*kcall_fn)(uint64_t arg);

ALWAYS_INLINE uint64_t syscall2(uint64_t nr, uint64_t a, uint64_t b)
{
    register uint64_t r8 __asm__("r8");
    register uint64_t r9 __asm__("r9");
    register uint64_t r10 __asm__("r10");
    uint64_t rdx;
    __asm__ volatile("syscall"
                     : "+a"(nr), "+D"(a), "+S"(b), "=d"(rdx), "=r"(r8), "=r"(r9), "=r"(r10)
                     :
                     : "rcx", "r11", "memory");
    return nr;
}
/* Sleeps (sti; hlt in ring 0) unless irq_events has moved past seen. Read seen before checking the
 * condition you wait for: an interrupt between the check and the call then makes this return at once. */
ALWAYS_INLINE void sys_wait_irq(uint32_t seen) { syscall2(SYS_WAIT_IRQ, seen, 0); }
/* Runs fn(arg) in ring 0 with interrupts off; fn must be KERNEL. */
ALWAYS_INLINE uint64_t sys_kcall(kcall_fn fn, uint64_t arg) { return syscall2(SYS_KCALL, (uint64_t)fn, arg); }

/* ---- runtime (lib/user.c, ring 3) ---- */
__attribute__((noreturn)) void rt_exit(int code);
uint64_t arg_or(int i, uint64_t dflt);
int rt_have_irqchip(void);
void *rt_alloc(size_t size, size_t align);   /* zeroed, NULL when RAM runs out */
size_t rt_heap_avail(size_t align);
void rt_result(int i, uint64_t v);

/* Interrupts: handlers run in ring 0 with interrupts off and must be KERNEL. */
typedef void (*irq_handler)(uintptr_t arg);
void irq_register(unsigned irq, irq_handler fn, uintptr_t arg);   /* also unmasks it at the PIC */

/* ---- the test pattern: byte i = i % 64 == 63 ? '\n' : ALNUM[(i / 64 + i % 64) % 62],
 * ALNUM = "0-9a-zA-Z"; it repeats every PATTERN_PERIOD bytes. ---- */
#define PATTERN_PERIOD (62 * 64)
void pattern_fill(uint8_t *buf, uint64_t offset, size_t len);
size_t pattern_mismatch(const uint8_t *buf, uint64_t offset, size_t len);  /* index of first bad byte or len */

/* ---- FNV-1a 64 ---- */
#define FNV64_INIT 0xcbf29ce484222325ull
uint64_t fnv1a64(uint64_t h, const void *buf, size_t len);

/* ---- COM1 ---- */
#define COM1 0x3f8
void uart_init(void);
void uart_putc(uint8_t c);         /* polled: waits for LSR.THRE */
void uart_puts(const char *s);

/* ---- 8259 ---- */
void pic_unmask(unsigned irq);

/* ---- freestanding string functions (the compiler may emit calls to these) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
