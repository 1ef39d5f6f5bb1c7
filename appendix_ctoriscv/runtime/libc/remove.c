#include <errno.h>
#include <stdio.h>

/* remove (C89 4.9.4.1). The emulator has no file system (its system calls are read, write,
 * brk and exit): no file exists to remove. rename, freopen and tmpfile fail in the same way,
 * each in a file of its own, so that a program may define any one of them itself. */
int remove(const char *name)
{
    (void)name;
    errno = ENOENT;
    return -1;
}
