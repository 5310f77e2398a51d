/* virtio-blk-read: reads args[0] bytes (default 4 MiB, rounded up to whole sectors) from sector
 * args[4] of the virtio-blk device in slot args[3], in requests of args[2] bytes (default 65536),
 * and computes FNV-1a 64 over them. args[1]: bit 0 EVENT_IDX, bit 1 interrupts (else polling),
 * bit 2 indirect descriptors; args[5]: queue size limit (default 256).
 * results[0] = bytes, [1] = FNV-1a 64, [2] = requests, [3] = notifications. */
#include "blk.h"

static uint64_t hash = FNV64_INIT;

static int check(const uint8_t *data, uint64_t offset, uint32_t len)
{
    (void)offset;
    hash = fnv1a64(hash, data, len);
    return 0;
}

int guest_main(void)
{
    uint64_t nbytes = (arg_or(0, 4 << 20) + 511) & ~511ull;
    uint64_t reqsize = (arg_or(2, 65536) + 511) & ~511ull;
    uint64_t sector = arg_or(4, 0);
    if (reqsize > (1u << 30))
        return EXIT_BAD_ARGS;

    static struct blk b;
    int r = blk_open(&b, arg_or(3, 0), params->args[1], params->args[5], reqsize);
    if (r)
        return r;
    if (sector > b.capacity || nbytes / 512 > b.capacity - sector)
        return EXIT_BLK_CAPACITY;
    r = blk_transfer(&b, 0, sector, nbytes, 0, check);
    rt_result(0, nbytes);
    rt_result(1, hash);
    rt_result(2, b.requests);
    rt_result(3, b.q.notifies);
    rt_result(RES_IRQS, irq_events);
    return r;
}
