/* uart-poll: args[0] bytes (default 65536) of the test pattern to COM1, polling LSR.THRE before
 * every byte. results[0] = bytes written. */
#include "jvmm.h"

int guest_main(void)
{
    uint64_t total = arg_or(0, 65536);
    static uint8_t buf[PATTERN_PERIOD];

    uart_init();
    pattern_fill(buf, 0, sizeof buf);
    for (uint64_t i = 0, k = 0; i < total; i++) {
        uart_putc(buf[k]);
        if (++k == PATTERN_PERIOD)
            k = 0;
    }
    rt_result(0, total);
    return EXIT_OK;
}
