#include <stdio.h>
#include <string.h>

/* Streams over file descriptors: a FILE * is the descriptor itself (stdout is (FILE *)1).
 * stdout is line-buffered, as glibc's on a terminal: characters collect in __stdout_buffer and go
 * out in one write(2) at each newline, when the buffer is full, at fflush and at exit; other
 * descriptors (stderr) are written at once. Reading from stdin flushes stdout first, so that a
 * prompt shows before the program waits. */

int write(int fd, const void *buf, int n);
int read(int fd, void *buf, int n);

extern char __stdout_buffer[];          /* in exit.c, which flushes it at the end */
extern int __stdout_used;

int fflush(FILE *stream)
{
    int done = 0;
    if (stream != stdout && stream != NULL)
        return 0;                       /* nothing else is buffered */
    while (done < __stdout_used) {
        int n = write(1, __stdout_buffer + done, __stdout_used - done);
        if (n <= 0) {
            __stdout_used = 0;
            return EOF;
        }
        done += n;
    }
    __stdout_used = 0;
    return 0;
}

/* --8<-- [start:fwrite] */
size_t fwrite(const void *p, size_t size, size_t count, FILE *stream)
{
    const char *bytes = p;
    size_t n = size * count, i;
    if (stream != stdout)
        return write((int)stream, bytes, n) == (int)n ? count : 0;
    for (i = 0; i < n; i++) {
        __stdout_buffer[__stdout_used++] = bytes[i];
        if ((bytes[i] == '\n' || __stdout_used == BUFSIZ) && fflush(stdout) == EOF)
            return 0;
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

int fgetc(FILE *stream)
{
    unsigned char ch;
    if (stream == stdin)
        fflush(stdout);
    return read((int)stream, &ch, 1) == 1 ? ch : EOF;
}

int getc(FILE *stream)
{
    return fgetc(stream);
}

int getchar(void)
{
    return fgetc(stdin);
}

/* A line (with its newline) or up to n - 1 characters; NULL at the end with nothing read. */
char *fgets(char *s, int n, FILE *stream)
{
    int i = 0, c = 0;
    while (i < n - 1 && c != '\n' && (c = fgetc(stream)) != EOF)
        s[i++] = c;
    if (i == 0 && n > 1)
        return NULL;
    s[i] = 0;
    return s;
}
