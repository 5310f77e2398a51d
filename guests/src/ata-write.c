/* ata-write: writes args[0] bytes (default 64 KiB, rounded up to whole sectors) of the test pattern
 * (pattern offset 0 at the first byte written) at sector args[4] of the ATA-PIO device at 0x1f0 with
 * LBA28 WRITE SECTORS of up to 256 sectors, each sector one rep outsl; then FLUSH CACHE, and once it
 * completed without ERR/DF prints "FLUSHED\n" on COM1; then reads the range back with READ SECTORS
 * and compares. The 32-bit data port accesses halve the exits of a 16-bit guest.
 * results[0] = bytes, [1] = FNV-1a 64 of the bytes written, [2] = commands, [3] = status after FLUSH
 * CACHE. Exits EXIT_ATA_ERROR on ERR/DF (or DRQ missing), EXIT_BLK_VERIFY if the read-back differs.
 * scripts/check/durability-check.sh cuts the power when it sees FLUSHED. */
#include "jvmm.h"

#define ATA 0x1f0
#define ATA_DATA (ATA + 0)
#define ATA_COUNT (ATA + 2)
#define ATA_LBA0 (ATA + 3)
#define ATA_LBA1 (ATA + 4)
#define ATA_LBA2 (ATA + 5)
#define ATA_DRIVE (ATA + 6)
#define ATA_STATUS (ATA + 7)
#define ATA_CMD (ATA + 7)
#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DF 0x20
#define ST_BSY 0x80
#define CMD_READ_SECTORS 0x20
#define CMD_WRITE_SECTORS 0x30
#define CMD_FLUSH_CACHE 0xe7

ALWAYS_INLINE void outsl_rep(uint16_t port, const void *buf, size_t n)
{
    __asm__ volatile("rep outsl" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

/* Waits until not busy; returns the status, or 0 after ERR/DF (status 0 never ends a wait). */
static uint8_t wait_ready(void)
{
    uint8_t st;
    while ((st = inb(ATA_STATUS)) & ST_BSY)
        cpu_relax();
    return st & (ST_ERR | ST_DF) ? 0 : st;
}

static void command(uint32_t lba, unsigned n, uint8_t cmd)
{
    outb(ATA_DRIVE, 0xe0 | ((lba >> 24) & 0x0f));   /* master, LBA mode */
    outb(ATA_COUNT, (uint8_t)n);                     /* 0 means 256 */
    outb(ATA_LBA0, (uint8_t)lba);
    outb(ATA_LBA1, (uint8_t)(lba >> 8));
    outb(ATA_LBA2, (uint8_t)(lba >> 16));
    outb(ATA_CMD, cmd);
}

/* Writes (or reads back and checks) sectors [lba, lba + sectors); returns an exit code. */
static int transfer(int write, uint64_t lba, uint64_t sectors, uint64_t *hash, uint64_t *commands)
{
    static uint8_t buf[512];
    uint64_t done = 0;
    while (done < sectors) {
        unsigned n = sectors - done > 256 ? 256 : (unsigned)(sectors - done);
        if (!wait_ready())
            return EXIT_ATA_ERROR;
        command((uint32_t)(lba + done), n, write ? CMD_WRITE_SECTORS : CMD_READ_SECTORS);
        (*commands)++;
        for (unsigned i = 0; i < n; i++, done++) {
            uint8_t st = wait_ready();
            if (!st || !(st & ST_DRQ))
                return EXIT_ATA_ERROR;
            if (write) {
                pattern_fill(buf, done * 512, 512);
                *hash = fnv1a64(*hash, buf, 512);
                outsl_rep(ATA_DATA, buf, 128);
            } else {
                insw_rep(ATA_DATA, buf, 256);
                if (pattern_mismatch(buf, done * 512, 512) != 512)
                    return EXIT_BLK_VERIFY;
            }
        }
    }
    return wait_ready() ? EXIT_OK : EXIT_ATA_ERROR;   /* a write lands after its last word */
}

int guest_main(void)
{
    uint64_t nbytes = (arg_or(0, 64 << 10) + 511) & ~511ull;
    uint64_t lba = arg_or(4, 0);
    uint64_t sectors = nbytes / 512;
    if (lba + sectors > (1u << 28))
        return EXIT_BAD_ARGS;
    if (inb(ATA_STATUS) == 0xff)
        return EXIT_ATA_ABSENT;
    uint64_t hash = FNV64_INIT, commands = 0;
    rt_result(0, nbytes);
    int code = transfer(1, lba, sectors, &hash, &commands);
    rt_result(1, hash);
    if (code == EXIT_OK) {
        outb(ATA_CMD, CMD_FLUSH_CACHE);
        commands++;
        uint8_t st;
        while ((st = inb(ATA_STATUS)) & ST_BSY)
            cpu_relax();
        rt_result(3, st);
        if (st & (ST_ERR | ST_DF))
            code = EXIT_ATA_ERROR;
        else
            uart_puts("FLUSHED\n"); /* durable from here on */
    }
    if (code == EXIT_OK)
        code = transfer(0, lba, sectors, &hash, &commands);
    rt_result(2, commands);
    return code;
}
