#include <errno.h>
#include <stdio.h>

/* File positions (C89 4.9.9). The three streams are the emulator's pipes, not files, and a pipe
 * has no position: every call fails with ESPIPE, as glibc's do when stdin or stdout is a pipe.
 * rewind ignores the failure, as it must (it returns nothing), and clears the error
 * indicator. */

int fseek(FILE *stream, long offset, int whence)
{
    (void)stream;
    (void)offset;
    (void)whence;
    errno = ESPIPE;
    return -1;
}

long ftell(FILE *stream)
{
    (void)stream;
    errno = ESPIPE;
    return -1L;
}

void rewind(FILE *stream)
{
    fseek(stream, 0L, SEEK_SET);
    clearerr(stream);
}

int fgetpos(FILE *stream, fpos_t *position)
{
    long at = ftell(stream);
    if (at < 0)
        return -1;
    *position = at;
    return 0;
}

int fsetpos(FILE *stream, const fpos_t *position)
{
    return fseek(stream, *position, SEEK_SET);
}
