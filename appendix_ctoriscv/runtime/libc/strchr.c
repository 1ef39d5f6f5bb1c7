#include <string.h>

/* The terminating NUL counts as part of the string: strchr(s, 0) points at it. */
char *strchr(const char *s, int c)
{
    char ch = c;
    for (;; s++) {
        if (*s == ch)
            return (char *)s;
        if (*s == 0)
            return NULL;
    }
}
