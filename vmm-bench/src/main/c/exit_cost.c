/*
 * The C side of ExitCostBenchmark: a vCPU loop the way a small C VMM writes it, over the same
 * synthetic exits and the same stand-in for KVM_RUN as the Java loop. Each iteration makes the
 * run call (ioctl(fd, FIOCLEX) on /dev/null, a cheap system call that succeeds, made through glibc's
 * ioctl() as jvmm makes KVM_RUN, or jvmm_bench_run_noop, a function of the same shape that returns
 * at once), reads the exit from
 * the kvm_run image, dispatches it through a bus to a device and counts it, as jvmm's Vcpu does:
 *
 *   - the port bus holds an 8250 UART at 0x3f8 (THR writes go into a 4 KiB transmit buffer,
 *     LSR reads report THR empty, the interrupt line follows IER and THR-empty, all under the
 *     device's lock, like jvmm's Serial) and a byte sink at 0x10;
 *   - the MMIO bus holds a virtio-mmio transport at 0xd0000000 whose QueueNotify checks the device
 *     status and the queue, then reads the queue's avail index from guest memory (acquire) and
 *     finds nothing new, like jvmm's transport with a device whose ring is empty;
 *   - HLT stops the vCPU (the loop carries on: it is the exit that is measured);
 *   - every exit is counted per reason and, for port I/O and MMIO, per port and per device, the
 *     bookkeeping a C VMM keeps (Firecracker's per-exit metrics), without a clock.
 *
 * The buses are sorted tables searched by bisection, with a function pointer per device, as
 * jvmm's Bus and BusDevice are.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define EXIT_REASONS 64
#define PORTS 65536

struct bus_device {
    uint64_t base;
    uint64_t last;
    void *state;
    uint64_t (*read)(void *state, uint64_t offset, uint32_t size);
    void (*write)(void *state, uint64_t offset, uint32_t size, uint64_t value);
};

struct bus {
    int count;
    struct bus_device devices[4];
};

static int bus_lookup(const struct bus *bus, uint64_t address) {
    int low = 0, high = bus->count - 1;
    while (low <= high) {
        int mid = (int)((unsigned)(low + high) >> 1);
        if (bus->devices[mid].base <= address) {
            if (address <= bus->devices[mid].last) {
                return mid;
            }
            low = mid + 1;
        } else {
            high = mid - 1;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------- 8250 UART */

struct uart {
    pthread_mutex_t lock;
    uint8_t ier, lcr, mcr, scr;
    int thr_empty_pending;
    int line_high;
    uint64_t interrupts;
    uint8_t tx[4096];
    uint32_t tx_count;
    uint64_t sent;
};

static void uart_update_interrupt(struct uart *u) {
    int pending = (u->ier & 0x02) && u->thr_empty_pending;
    if (pending != u->line_high) {
        u->line_high = pending;
        u->interrupts++;
    }
}

static void uart_transmit(struct uart *u, uint8_t byte) {
    u->tx[u->tx_count++] = byte;
    if (u->tx_count == sizeof u->tx) {
        u->sent += u->tx_count; /* a real VMM writes them out here */
        u->tx_count = 0;
    }
}

static uint64_t uart_read(void *state, uint64_t offset, uint32_t size) {
    struct uart *u = state;
    uint64_t value = 0xff;
    (void)size;
    pthread_mutex_lock(&u->lock);
    switch (offset) {
    case 1: value = u->ier; break;
    case 2: value = u->thr_empty_pending && (u->ier & 0x02) ? 0x02 : 0x01; break;
    case 3: value = u->lcr; break;
    case 4: value = u->mcr; break;
    case 5: value = 0x60; break; /* THR empty, transmitter empty, nothing received */
    case 6: value = 0xb0; break;
    case 7: value = u->scr; break;
    default: value = 0; break;
    }
    pthread_mutex_unlock(&u->lock);
    return value;
}

static void uart_write(void *state, uint64_t offset, uint32_t size, uint64_t value) {
    struct uart *u = state;
    (void)size;
    pthread_mutex_lock(&u->lock);
    switch (offset) {
    case 0:
        if (!(u->lcr & 0x80)) {
            u->thr_empty_pending = 0;
            uart_update_interrupt(u);
            uart_transmit(u, (uint8_t)value);
            u->thr_empty_pending = 1;
            uart_update_interrupt(u);
        }
        break;
    case 1: u->ier = (uint8_t)(value & 0x0f); uart_update_interrupt(u); break;
    case 3: u->lcr = (uint8_t)value; break;
    case 4: u->mcr = (uint8_t)(value & 0x1f); break;
    case 7: u->scr = (uint8_t)value; break;
    default: break;
    }
    pthread_mutex_unlock(&u->lock);
}

/* ---------------------------------------------------------------- byte sink */

static uint64_t sink_read(void *state, uint64_t offset, uint32_t size) {
    (void)state; (void)offset; (void)size;
    return 0;
}

static void sink_write(void *state, uint64_t offset, uint32_t size, uint64_t value) {
    (void)offset; (void)size;
    *(uint64_t *)state += value;
}

/* ---------------------------------------------------------------- virtio-mmio, QueueNotify only */

struct virtio_mmio {
    pthread_mutex_t lock;
    uint32_t status;
    uint32_t queues;
    int ready;                 /* queue 0 */
    const uint8_t *avail_idx;  /* guest memory: the avail ring's idx field */
    uint16_t next_avail;
    uint64_t popped;
};

static uint64_t virtio_read(void *state, uint64_t offset, uint32_t size) {
    struct virtio_mmio *v = state;
    uint64_t value = 0;
    (void)size;
    pthread_mutex_lock(&v->lock);
    if (offset == 0x070) {
        value = v->status;
    }
    pthread_mutex_unlock(&v->lock);
    return value;
}

static void virtio_notify(struct virtio_mmio *v, uint32_t queue) {
    if (!(v->status & 4) || (v->status & (0x40 | 0x80))) {
        return; /* not DRIVER_OK, or needs reset or failed: dropped */
    }
    if (queue >= v->queues || !v->ready) {
        return;
    }
    uint16_t avail = __atomic_load_n((const uint16_t *)v->avail_idx, __ATOMIC_ACQUIRE);
    uint16_t pending = (uint16_t)(avail - v->next_avail);
    if (pending > 256) {
        v->status |= 0x40;
        return;
    }
    v->popped += pending; /* the benchmark's ring stays empty */
}

static void virtio_write(void *state, uint64_t offset, uint32_t size, uint64_t value) {
    struct virtio_mmio *v = state;
    pthread_mutex_lock(&v->lock);
    if (size == 4 && (offset & 3) == 0 && offset == 0x050) {
        virtio_notify(v, (uint32_t)value);
    }
    pthread_mutex_unlock(&v->lock);
}

/* ---------------------------------------------------------------- the machine and its loop */

struct exit_machine {
    struct bus pio;
    struct bus mmio;
    struct uart uart;
    struct virtio_mmio virtio;
    uint64_t sink;
    uint64_t exits[EXIT_REASONS];
    uint64_t port_exits[PORTS];
    uint64_t mmio_exits[4 + 1];
    uint64_t unclaimed;
};

/* The machine of ExitCostBenchmark; avail_idx points at the avail ring's idx in guest memory. */
struct exit_machine *jvmm_bench_exit_machine(const uint8_t *avail_idx) {
    struct exit_machine *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    pthread_mutex_init(&m->uart.lock, NULL);
    pthread_mutex_init(&m->virtio.lock, NULL);
    m->uart.thr_empty_pending = 1;
    m->virtio.status = 1 | 2 | 8 | 4; /* ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK */
    m->virtio.queues = 1;
    m->virtio.ready = 1;
    m->virtio.avail_idx = avail_idx;
    m->pio.count = 2;
    m->pio.devices[0] = (struct bus_device){0x10, 0x10, &m->sink, sink_read, sink_write};
    m->pio.devices[1] = (struct bus_device){0x3f8, 0x3ff, &m->uart, uart_read, uart_write};
    m->mmio.count = 1;
    m->mmio.devices[0] = (struct bus_device){0xd0000000u, 0xd00001ffu, &m->virtio, virtio_read, virtio_write};
    return m;
}

void jvmm_bench_exit_machine_free(struct exit_machine *m) {
    if (m != NULL) {
        pthread_mutex_destroy(&m->uart.lock);
        pthread_mutex_destroy(&m->virtio.lock);
        free(m);
    }
}

static uint64_t load(const uint8_t *p, uint32_t size) {
    uint64_t value = 0;
    memcpy(&value, p, size <= 8 ? size : 8);
    return value;
}

static void store(uint8_t *p, uint32_t size, uint64_t value) {
    memcpy(p, &value, size <= 8 ? size : 8);
}

static void handle_io(struct exit_machine *m, struct kvm_run *run) {
    int index = bus_lookup(&m->pio, run->io.port);
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    for (uint32_t i = 0; i < run->io.count; i++) {
        uint8_t *at = data + (size_t)i * run->io.size;
        if (index < 0) {
            if (run->io.direction == KVM_EXIT_IO_IN) {
                memset(at, 0xff, run->io.size);
            }
        } else {
            struct bus_device *d = &m->pio.devices[index];
            if (run->io.direction == KVM_EXIT_IO_OUT) {
                d->write(d->state, run->io.port - d->base, run->io.size, load(at, run->io.size));
            } else {
                store(at, run->io.size, d->read(d->state, run->io.port - d->base, run->io.size));
            }
        }
    }
    m->port_exits[run->io.port]++;
    m->unclaimed += index < 0;
}

static void handle_mmio(struct exit_machine *m, struct kvm_run *run) {
    int index = bus_lookup(&m->mmio, run->mmio.phys_addr);
    if (run->mmio.is_write) {
        if (index >= 0) {
            struct bus_device *d = &m->mmio.devices[index];
            d->write(d->state, run->mmio.phys_addr - d->base, run->mmio.len, load(run->mmio.data, run->mmio.len));
        }
    } else {
        uint64_t value = ~0ull;
        if (index >= 0) {
            struct bus_device *d = &m->mmio.devices[index];
            value = d->read(d->state, run->mmio.phys_addr - d->base, run->mmio.len);
        }
        store(run->mmio.data, 8, value);
    }
    m->mmio_exits[index < 0 ? 4 : index]++;
    m->unclaimed += index < 0;
}

/*
 * The stand-in for KVM_RUN that does not enter the kernel, shaped like glibc's ioctl(), through
 * which jvmm makes KVM_RUN (Libc.ioctlWithoutErrno): the Java side calls it by the same downcall shape.
 */
__attribute__((noinline)) int jvmm_bench_run_noop(int fd, unsigned long request, ...) {
    (void)fd;
    (void)request;
    return 0;
}

typedef int (*run_call)(int fd, unsigned long request, ...);

/* Read through a volatile, so the compiler cannot see which function the loop calls and inline it. */
static run_call volatile run_calls[2] = {ioctl, jvmm_bench_run_noop};

/*
 * `exits` iterations of the loop: the run call (ioctl(fd, request, 0), or with `noop` the no-op
 * function) in place of KVM_RUN, then the exit that `run` describes. Returns the number of stops
 * (HLT and other exits no device handles), or -errno if the call failed for another reason than
 * EINTR or EAGAIN.
 */
long jvmm_bench_exit_loop(struct exit_machine *m, int noop, int fd, unsigned long request, struct kvm_run *run,
                          long exits) {
    run_call call = run_calls[noop != 0];
    long stops = 0;
    for (long i = 0; i < exits; i++) {
        if (call(fd, request, 0L) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -errno;
        }
        uint32_t reason = run->exit_reason;
        m->exits[reason < EXIT_REASONS ? reason : EXIT_REASONS - 1]++;
        switch (reason) {
        case KVM_EXIT_IO:
            handle_io(m, run);
            break;
        case KVM_EXIT_MMIO:
            handle_mmio(m, run);
            break;
        case KVM_EXIT_INTR:
            break;
        default:
            stops++;
            break;
        }
    }
    return stops;
}

/* The run call alone, `calls` times: what both loops pay before any exit handling. */
long jvmm_bench_call_loop(int noop, int fd, unsigned long request, long calls) {
    run_call call = run_calls[noop != 0];
    for (long i = 0; i < calls; i++) {
        if (call(fd, request, 0L) < 0) {
            return -errno;
        }
    }
    return 0;
}

/* What the devices saw, so the work cannot be dropped: bytes sent plus the sink's sum plus exits. */
uint64_t jvmm_bench_exit_machine_checksum(const struct exit_machine *m) {
    uint64_t total = m->uart.sent + m->uart.tx_count + m->sink + m->virtio.popped + m->unclaimed;
    for (int i = 0; i < EXIT_REASONS; i++) {
        total += m->exits[i];
    }
    return total;
}
