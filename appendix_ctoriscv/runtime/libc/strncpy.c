#include <string.h>

/* Copies at most n characters and pads with NULs up to n: the result has no terminator when
 * src is n long or longer. */
char *strncpy(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = 0;
    return dst;
}
