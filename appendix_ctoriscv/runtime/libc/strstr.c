#include <string.h>

/* The naive search: O(len(haystack) * len(needle)) in the worst case. */
char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return (char *)haystack;        /* the empty string is found at the start */
    for (; *haystack; haystack++)
        if (*haystack == *needle && strncmp(haystack, needle, n) == 0)
            return (char *)haystack;
    return NULL;
}
