/* virtio-blk-write: writes args[0] bytes (default 1 MiB, rounded up to whole sectors) of the test
 * pattern (pattern offset 0 at the first byte written) at sector args[4] of the virtio-blk device in
 * slot args[3], in requests of args[2] bytes (default 65536), sends FLUSH, reads the range back and
 * compares. args[1] and args[5] as for virtio-blk-read.
 * results[0] = bytes, [1] = FNV-1a 64 of the bytes written, [2] = FLUSH status byte,
 * [3] = notifications, [4] = interrupts. Prints "FLUSHED\n" on COM1 once FLUSH returned OK. Exits 0 only if every status was OK and the data matched. */
#include "blk.h"

static void fill(uint8_t *data, uint64_t offset, uint32_t len) { pattern_fill(data, offset, len); }

static uint64_t hash = FNV64_INIT;

static int verify(const uint8_t *data, uint64_t offset, uint32_t len)
{
    hash = fnv1a64(hash, data, len);
    return pattern_mismatch(data, offset, len) == len ? 0 : EXIT_BLK_VERIFY;
}

int guest_main(void)
{
    uint64_t nbytes = (arg_or(0, 1 << 20) + 511) & ~511ull;
    uint64_t reqsize = (arg_or(2, 65536) + 511) & ~511ull;
    uint64_t sector = arg_or(4, 0);
    if (reqsize > (1u << 30))
        return EXIT_BAD_ARGS;

    static struct blk b;
    rt_result(2, 0xff);
    int r = blk_open(&b, arg_or(3, 0), params->args[1], params->args[5], reqsize);
    if (r)
        return r;
    if (b.dev.features & VIRTIO_BLK_F_RO)
        return EXIT_BLK_READ_ONLY;
    if (sector > b.capacity || nbytes / 512 > b.capacity - sector)
        return EXIT_BLK_CAPACITY;

    rt_result(0, nbytes);
    r = blk_transfer(&b, 1, sector, nbytes, fill, 0);
    uint8_t status = 0xff;
    if (!r)
        r = blk_flush(&b, &status);
    rt_result(2, status);
    if (!r && status == 0)
        uart_puts("FLUSHED\n"); /* the data is durable from here on: scripts/check/durability-check.sh waits for it */
    if (!r)
        r = blk_transfer(&b, 0, sector, nbytes, 0, verify);
    rt_result(1, hash);
    rt_result(3, b.q.notifies);
    rt_result(RES_IRQS, irq_events);
    return r;
}
