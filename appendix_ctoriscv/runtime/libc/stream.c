#include <errno.h>
#include <stdio.h>

/* A stream's state and setup: its end-of-file and error indicators, its buffering, and
 * opening and closing. The emulator has no file system (its system calls are read, write,
 * brk and exit), so fopen always fails, as it would for a file that does not exist. */

int __flush(FILE *stream);              /* in stdfiles.c */

int feof(FILE *stream)
{
    return stream->eof;
}

int ferror(FILE *stream)
{
    return stream->error;
}

void clearerr(FILE *stream)
{
    stream->eof = 0;
    stream->error = 0;
}

FILE *fopen(const char *name, const char *mode)
{
    (void)name;
    (void)mode;
    errno = ENOENT;
    return NULL;
}

/* Flushes the stream; the standard streams stay usable (nothing can be opened again). */
int fclose(FILE *stream)
{
    return stream == stdin ? 0 : __flush(stream);
}

/* C89 4.9.5.6: before any other operation on the stream. A NULL buffer with _IOFBF or _IOLBF
 * keeps the stream's own (stderr has none: it stays unbuffered). */
int setvbuf(FILE *stream, char *buffer, int mode, size_t size)
{
    if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF)
        return EOF;
    if (stream != stdin)
        __flush(stream);                /* (an input buffer's bytes are not output) */
    if (buffer != NULL && size > 0) {
        stream->buffer = (unsigned char *)buffer;
        stream->size = size;
    }
    stream->mode = stream->buffer == NULL ? _IONBF : mode;
    return 0;
}

void setbuf(FILE *stream, char *buffer)
{
    setvbuf(stream, buffer, buffer ? _IOFBF : _IONBF, BUFSIZ);
}
