#include <stdlib.h>

/* The multibyte functions of C89 4.10.7-8 in the "C" locale, the only one here. Its character
 * set is ASCII, as glibc's: a character is one byte below 128 (MB_CUR_MAX is 1), its wide
 * character the same number, and a byte from 128 up is no character (-1). No encoding has
 * shift states, so a NULL string (which asks about them) gives 0. */

int mbtowc(wchar_t *wide, const char *s, size_t n)
{
    unsigned char c;
    if (s == NULL)
        return 0;
    c = *s;
    if (n == 0 || c > 127)
        return -1;
    if (wide != NULL)
        *wide = c;
    return c != 0;
}

int mblen(const char *s, size_t n)
{
    return mbtowc(NULL, s, n);
}

int wctomb(char *s, wchar_t wide)
{
    if (s == NULL)
        return 0;
    if (wide < 0 || wide > 127)
        return -1;
    *s = (char)wide;
    return 1;
}

/* at most n wide characters, up to and with the NUL; the count before it, or (size_t)-1 */
size_t mbstowcs(wchar_t *wide, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (mbtowc(&wide[i], s + i, 1) < 0)
            return (size_t)-1;
        if (s[i] == 0)
            return i;
    }
    return n;
}

size_t wcstombs(char *s, const wchar_t *wide, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (wctomb(s + i, wide[i]) < 0)
            return (size_t)-1;
        if (wide[i] == 0)
            return i;
    }
    return n;
}
