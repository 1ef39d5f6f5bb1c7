#include <errno.h>
#include <stdio.h>

/* rename (C89 4.9.4.2): no file system, so no file to rename (see remove.c) */
int rename(const char *old_name, const char *new_name)
{
    (void)old_name;
    (void)new_name;
    errno = ENOENT;
    return -1;
}
