#include <string.h>

/* --8<-- [start:strlen] */
size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return p - s;
}
/* --8<-- [end:strlen] */
