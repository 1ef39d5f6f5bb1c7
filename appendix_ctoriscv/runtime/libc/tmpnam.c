#include <stdio.h>

/* tmpnam (C89 4.9.4.4): TMP_MAX different names, each a name no file has (here no file has
 * any name): "/tmp/tmp" and a counter, into s (L_tmpnam bytes at least) or a static buffer */
char *tmpnam(char *s)
{
    static char own[L_tmpnam];
    static unsigned count;
    if (s == NULL)
        s = own;
    if (count >= TMP_MAX)
        return NULL;
    sprintf(s, "/tmp/tmp%u", count++);
    return s;
}
