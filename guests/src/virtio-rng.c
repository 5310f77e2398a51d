/* virtio-rng: asks the virtio-rng device in slot args[3] for args[0] bytes (default 4096), one
 * device-writable buffer of at most args[2] bytes (default 4096) at a time, until that many came.
 * args[1]: bit 0 EVENT_IDX, bit 1 interrupts. results[0] = bytes received, [1] = FNV-1a 64 of them,
 * [2] = requests, [3] = notifications. */
#include "virtio.h"

#define VIRTIO_RNG_ID 4

int guest_main(void)
{
    uint64_t total = arg_or(0, 4096);
    uint64_t chunk = arg_or(2, 4096);
    if (chunk > (1u << 30))
        return EXIT_BAD_ARGS;

    static struct virtio_dev d;
    static struct virtq q;
    int r = virtio_init(&d, arg_or(3, 0), VIRTIO_RNG_ID, 0, params->args[1] & ~VIO_MODE_INDIRECT);
    if (r || (r = virtq_setup(&d, &q, 0, params->args[5])))
        return r;
    uint8_t *buf = rt_alloc(chunk, 64);
    if (!buf)
        return EXIT_NO_MEMORY;
    if ((r = virtio_start(&d)))
        return r;

    uint64_t got = 0, hash = FNV64_INIT, requests = 0;
    unsigned empty = 0;
    while (got < total) {
        uint32_t want = total - got < chunk ? (uint32_t)(total - got) : (uint32_t)chunk;
        q.desc[0] = (struct virtq_desc){(uintptr_t)buf, want, VIRTQ_DESC_F_WRITE, 0};
        virtq_push(&q, 0);
        virtq_kick(&q);
        requests++;
        uint32_t id, len;
        while (!virtq_pop(&q, &id, &len))
            virtq_wait(&q);
        if (id != 0 || len > want)
            return EXIT_VIRTIO_USED;
        if (len == 0 && ++empty > 1000)
            return EXIT_RNG_STALL;
        hash = fnv1a64(hash, buf, len);
        got += len;
    }
    rt_result(0, got);
    rt_result(1, hash);
    rt_result(2, requests);
    rt_result(3, q.notifies);
    rt_result(RES_IRQS, irq_events);
    return EXIT_OK;
}
