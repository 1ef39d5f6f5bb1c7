#include <stdlib.h>

/* The C standard's own example generator (C89 4.10.2.2): a linear congruential generator
 * whose bits 16..30 are the result. Same seed, same sequence as the standard's example. */
static unsigned long next = 1;

int rand(void)
{
    next = next * 1103515245 + 12345;
    return (unsigned)(next / 65536) % 32768;
}

void srand(unsigned seed)
{
    next = seed;
}
