#include <string.h>

/* The compiler calls memcpy itself to copy structs, so this one must not copy a struct. Word
 * at a time when both pointers are word-aligned (a quarter of the loads and stores), then the
 * bytes left. */
/* --8<-- [start:memcpy] */
void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((unsigned)d | (unsigned)s) & 3) == 0) {
        for (; n >= 4; n -= 4, d += 4, s += 4)
            *(unsigned *)d = *(const unsigned *)s;
    }
    for (; n > 0; n--)
        *d++ = *s++;
    return dst;
}
/* --8<-- [end:memcpy] */
