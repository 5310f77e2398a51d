/* hello: the smallest demo. Prints one line on COM1 (polled) and exits 0. */
#include "jvmm.h"

static const char msg[] = "Hello from a jvmm guest\n";

int guest_main(void)
{
    uart_init();
    uart_puts(msg);
    rt_result(0, sizeof msg - 1);
    return EXIT_OK;
}
