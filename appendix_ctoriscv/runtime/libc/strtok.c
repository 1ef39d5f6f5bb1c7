#include <string.h>

/* The tokens of s separated by runs of `separators`, one per call: the first call passes s,
 * later ones NULL to go on where the last token ended (kept in a static pointer, so one
 * string at a time). Each token's end is overwritten with a NUL. */
char *strtok(char *s, const char *separators)
{
    static char *rest;
    char *token;
    if (s == NULL)
        s = rest;
    if (s == NULL)
        return NULL;
    token = s + strspn(s, separators);
    if (*token == 0) {
        rest = NULL;
        return NULL;
    }
    s = token + strcspn(token, separators);
    if (*s) {
        *s = 0;
        rest = s + 1;
    } else {
        rest = NULL;
    }
    return token;
}
