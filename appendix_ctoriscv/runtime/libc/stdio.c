#include <stdio.h>
#include <string.h>

/* Output on a stream: fwrite and what is built on it (fputc, putc, putchar, fputs, puts), and
 * fflush. A buffered stream collects bytes and makes one write(2) per buffer-full, or per line
 * when line-buffered (stdout, as glibc's on a terminal); an unbuffered one (stderr) writes
 * each call's bytes at once. */

int __flush(FILE *stream);              /* these two in stdfiles.c */
int __write_all(FILE *stream, const void *bytes, int n);

/* Every output stream when stream is NULL; nothing to do for stdin. */
int fflush(FILE *stream)
{
    if (stream == NULL)
        return __flush(stdout) | __flush(stderr);
    return stream == stdin ? 0 : __flush(stream);
}

/* --8<-- [start:fwrite] */
size_t fwrite(const void *p, size_t size, size_t count, FILE *stream)
{
    const unsigned char *bytes = p;
    size_t n = size * count, i;
    if (n == 0)
        return 0;
    if (stream == stdin) {              /* an input stream */
        stream->error = 1;
        return 0;
    }
    if (stream->mode == _IONBF)         /* straight out */
        return __write_all(stream, bytes, n) / size;
    for (i = 0; i < n; i++) {
        stream->buffer[stream->used++] = bytes[i];
        if ((stream->used == stream->size || (bytes[i] == '\n' && stream->mode == _IOLBF))
            && __flush(stream) == EOF)
            return i / size;
    }
    return count;
}
/* --8<-- [end:fwrite] */

int fputc(int c, FILE *stream)
{
    unsigned char ch = c;
    return fwrite(&ch, 1, 1, stream) == 1 ? ch : EOF;
}

int putc(int c, FILE *stream)
{
    return fputc(c, stream);
}

int putchar(int c)
{
    return fputc(c, stdout);
}

int fputs(const char *s, FILE *stream)
{
    size_t n = strlen(s);
    return fwrite(s, 1, n, stream) == n ? 0 : EOF;
}

/* s and a newline; glibc returns the count written, which we follow */
int puts(const char *s)
{
    if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF)
        return EOF;
    return strlen(s) + 1;
}
