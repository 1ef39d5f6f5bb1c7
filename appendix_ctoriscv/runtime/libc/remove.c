#include <errno.h>
#include <stdio.h>

/* The file operations of C89 4.9.4, without a file system (the emulator's system calls are
 * read, write, brk and exit): no file exists, so remove, rename and freopen fail as for a
 * missing file, and tmpfile cannot create one. tmpnam still makes names, as C asks: TMP_MAX
 * different ones, each a name no file has. */

int remove(const char *name)
{
    (void)name;
    errno = ENOENT;
    return -1;
}

int rename(const char *old_name, const char *new_name)
{
    (void)old_name;
    (void)new_name;
    errno = ENOENT;
    return -1;
}

/* C89: the stream is closed first, whether or not the opening then succeeds */
FILE *freopen(const char *name, const char *mode, FILE *stream)
{
    fclose(stream);
    return fopen(name, mode);
}

FILE *tmpfile(void)
{
    errno = ENOENT;
    return NULL;
}

/* "/tmp/tmp" and a counter; into s (L_tmpnam bytes at least) or a static buffer */
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
