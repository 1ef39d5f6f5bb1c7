#include <errno.h>
#include <stdio.h>

/* tmpfile (C89 4.9.4.3): there is no file system to create the file in */
FILE *tmpfile(void)
{
    errno = ENOENT;
    return NULL;
}
