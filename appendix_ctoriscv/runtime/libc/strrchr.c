#include <string.h>

char *strrchr(const char *s, int c)
{
    char ch = c;
    const char *last = NULL;
    for (;; s++) {
        if (*s == ch)
            last = s;
        if (*s == 0)
            return (char *)last;
    }
}
