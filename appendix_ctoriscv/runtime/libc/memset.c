#include <string.h>

void *memset(void *s, int c, size_t n)
{
    unsigned char *p = s;
    unsigned word;
    while (n > 0 && ((unsigned)p & 3) != 0) {
        *p++ = c;
        n--;
    }
    word = (c & 255) * 0x01010101U;
    for (; n >= 4; n -= 4, p += 4)
        *(unsigned *)p = word;
    for (; n > 0; n--)
        *p++ = c;
    return s;
}
