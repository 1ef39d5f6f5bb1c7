#include <string.h>

/* Collation by the locale. The only locale here is C89's "C" locale, whose collating order
 * is the order of the character codes: strcoll is strcmp, and strxfrm's transformed string is
 * a copy of the string (so strcmp of two transformed strings agrees with strcoll). */

int strcoll(const char *a, const char *b)
{
    return strcmp(a, b);
}

/* Copies the transformed src into dst when it fits in n bytes with its NUL; returns its
 * length either way (a result >= n means dst holds nothing useful, as C89 4.11.4.5 says). */
size_t strxfrm(char *dst, const char *src, size_t n)
{
    size_t length = strlen(src);
    if (length < n)
        memcpy(dst, src, length + 1);
    return length;
}
