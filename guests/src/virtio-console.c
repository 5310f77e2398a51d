/* virtio-console: sends args[0] bytes (default 65536) of the test pattern through the transmitq
 * (queue 1) of the virtio-console in slot args[3], in buffers of args[2] bytes (default 4096), as
 * many in flight as the queue (size limit args[5], default 256) and RAM allow, and waits until the
 * device has used them all. args[1]: bit 0 EVENT_IDX, bit 1 interrupts (else it polls the used ring).
 * args[6]: if not 0, a port the guest reports to at the end with one 4-byte write of the bytes sent
 * (a device of the embedder's own, examples/embed).
 * results[0] = bytes sent, [1] = notifications (QueueNotify writes), [2] = buffers, [3] = queue size. */
#include "virtio.h"

#define VIRTIO_CONSOLE_ID 3
#define RECEIVEQ 0
#define TRANSMITQ 1

int guest_main(void)
{
    uint64_t total = arg_or(0, 65536);
    uint64_t bufsize = arg_or(2, 4096);
    if (bufsize > (1u << 30))
        return EXIT_BAD_ARGS;

    static struct virtio_dev d;
    static struct virtq rxq, txq;
    int r = virtio_init(&d, arg_or(3, 0), VIRTIO_CONSOLE_ID, 0, params->args[1] & ~VIO_MODE_INDIRECT);
    if (r)
        return r;
    /* The receiveq is set up too (no buffers): some devices only start with every queue ready. */
    if ((r = virtq_setup(&d, &rxq, RECEIVEQ, 1)) || (r = virtq_setup(&d, &txq, TRANSMITQ, params->args[5])))
        return r;

    unsigned nbuf = txq.num;
    uint64_t need = (total + bufsize - 1) / bufsize;
    if (nbuf > need)
        nbuf = need ? need : 1;
    if (nbuf > rt_heap_avail(64) / (bufsize + 128))
        nbuf = rt_heap_avail(64) / (bufsize + 128);
    if (nbuf == 0)
        return EXIT_NO_MEMORY;
    uint16_t *free_ids = rt_alloc(nbuf * sizeof *free_ids, 8);
    uint32_t *lens = rt_alloc(nbuf * sizeof *lens, 8);
    unsigned nfree = 0;
    for (unsigned i = 0; i < nbuf; i++) {
        if (!free_ids || !lens || !(txq.desc[i].addr = (uintptr_t)rt_alloc(bufsize, 64)))
            return EXIT_NO_MEMORY;
        free_ids[nfree++] = nbuf - 1 - i;
    }
    if ((r = virtio_start(&d)))
        return r;

    uint64_t queued = 0, sent = 0, buffers = 0;
    while (sent < total) {
        while (nfree && queued < total) {
            uint16_t id = free_ids[--nfree];
            uint32_t len = total - queued < bufsize ? (uint32_t)(total - queued) : (uint32_t)bufsize;
            pattern_fill((uint8_t *)(uintptr_t)txq.desc[id].addr, queued, len);
            txq.desc[id].len = len;
            txq.desc[id].flags = 0;       /* device-readable, single descriptor */
            lens[id] = len;
            virtq_push(&txq, id);
            queued += len;
            buffers++;
        }
        virtq_kick(&txq);
        uint32_t id, len;
        int got = 0;
        while (virtq_pop(&txq, &id, &len)) {
            if (id >= nbuf || lens[id] == 0)
                return EXIT_VIRTIO_USED;
            sent += lens[id];
            lens[id] = 0;
            free_ids[nfree++] = id;
            got++;
        }
        if (!got && sent < total)
            virtq_wait(&txq);
    }
    if (params->args[6] != 0 && params->args[6] <= 0xffff)
        outl((uint16_t)params->args[6], (uint32_t)sent);
    rt_result(0, sent);
    rt_result(1, txq.notifies);
    rt_result(2, buffers);
    rt_result(3, txq.num);
    rt_result(RES_IRQS, irq_events);
    return EXIT_OK;
}
