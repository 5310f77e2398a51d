/* ata-read: reads args[0] bytes (default 4 MiB, rounded up to whole sectors) from sector args[4] of
 * the ATA-PIO device at 0x1f0: LBA28 READ SECTORS of up to 256 sectors, polling the status register
 * (BSY, DRQ, ERR/DF) before each sector and taking it with one rep insw. FNV-1a 64 over the bytes.
 * results[0] = bytes, [1] = FNV-1a 64, [2] = commands. Exits EXIT_ATA_ERROR on ERR/DF. */
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

/* Waits until not busy; returns the status, or 0 after ERR/DF (status 0 never ends a wait). */
static uint8_t wait_ready(void)
{
    uint8_t st;
    while ((st = inb(ATA_STATUS)) & ST_BSY)
        cpu_relax();
    return st & (ST_ERR | ST_DF) ? 0 : st;
}

int guest_main(void)
{
    uint64_t nbytes = (arg_or(0, 4 << 20) + 511) & ~511ull;
    uint64_t lba = arg_or(4, 0);
    uint64_t sectors = nbytes / 512;
    if (lba + sectors > (1u << 28))
        return EXIT_BAD_ARGS;
    if (inb(ATA_STATUS) == 0xff)
        return EXIT_ATA_ABSENT;
    static uint16_t buf[256];
    uint64_t hash = FNV64_INIT, done = 0, commands = 0;
    int code = EXIT_OK;

    while (done < sectors) {
        unsigned n = sectors - done > 256 ? 256 : (unsigned)(sectors - done);
        if (!wait_ready()) {
            code = EXIT_ATA_ERROR;
            break;
        }
        uint32_t l = (uint32_t)(lba + done);
        outb(ATA_DRIVE, 0xe0 | ((l >> 24) & 0x0f));   /* master, LBA mode */
        outb(ATA_COUNT, (uint8_t)n);                   /* 0 means 256 */
        outb(ATA_LBA0, (uint8_t)l);
        outb(ATA_LBA1, (uint8_t)(l >> 8));
        outb(ATA_LBA2, (uint8_t)(l >> 16));
        outb(ATA_CMD, CMD_READ_SECTORS);
        commands++;
        for (unsigned i = 0; i < n; i++) {
            uint8_t st = wait_ready();
            if (!st || !(st & ST_DRQ)) {
                code = EXIT_ATA_ERROR;
                goto out;
            }
            insw_rep(ATA_DATA, buf, 256);
            hash = fnv1a64(hash, buf, 512);
            done++;
        }
    }
out:
    rt_result(0, done * 512);
    rt_result(1, hash);
    rt_result(2, commands);
    return code;
}
