/* fnv64 FILE [SKIP [N]]: FNV-1a 64 of N bytes of FILE from byte SKIP, printed like run-guest's results. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f || (argc > 2 && fseek(f, strtoll(argv[2], NULL, 0), SEEK_SET)))
        return 1;
    long long n = argc > 3 ? strtoll(argv[3], NULL, 0) : -1;
    uint64_t h = 0xcbf29ce484222325ull;
    int c;
    while (n-- != 0 && (c = getc(f)) != EOF)
        h = (h ^ (uint8_t)c) * 0x100000001b3ull;
    printf("%#llx\n", (unsigned long long)h);
    return 0;
}
