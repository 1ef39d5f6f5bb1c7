#include <stdio.h>

/* Input from a stream: fgetc and what is built on it (getc, getchar, fgets, gets, fread), and
 * ungetc. The stream's buffer is filled by one read(2) at a time, of as much as the descriptor
 * has (a terminal gives a line); reading stdin first writes out what stdout holds, so that a
 * prompt shows before the program waits. Once the end of the file was seen, every read gives EOF
 * until clearerr (C99; glibc since 2.28). */

int read(int fd, void *buf, int n);
int __flush(FILE *stream);              /* in stdfiles.c */

/* --8<-- [start:fgetc] */
int fgetc(FILE *stream)
{
    int c = stream->pushed;
    if (c != EOF) {                     /* a character pushed back by ungetc comes first */
        stream->pushed = EOF;
        return c;
    }
    if (stream->eof || stream == stdout || stream == stderr)
        return EOF;
    if (stream->next == stream->used) { /* the buffer is used up: read more */
        if (stream == stdin)
            __flush(stdout);
        stream->used = read(stream->fd, stream->buffer, stream->size);
        stream->next = 0;
        if (stream->used <= 0) {
            stream->error = stream->used < 0;
            stream->eof = stream->used == 0;
            stream->used = 0;
            return EOF;
        }
    }
    return stream->buffer[stream->next++];
}
/* --8<-- [end:fgetc] */

int getc(FILE *stream)
{
    return fgetc(stream);
}

int getchar(void)
{
    return fgetc(stdin);
}

/* c goes back, to be read again next (one character is guaranteed, which is all we keep);
 * the end-of-file indicator is cleared, as C89 4.9.7.11 says. */
int ungetc(int c, FILE *stream)
{
    if (c == EOF || stream->pushed != EOF)
        return EOF;
    stream->pushed = (unsigned char)c;
    stream->eof = 0;
    return stream->pushed;
}

/* A line (with its newline) or up to n - 1 characters; NULL at the end with nothing read, or
 * on a read error in this call (an EOF without the end-of-file indicator; an error indicator
 * left from before does not count), or when there is no room even for the NUL. */
char *fgets(char *s, int n, FILE *stream)
{
    int i = 0, c = 0;
    if (n <= 0)
        return NULL;
    while (i < n - 1 && c != '\n' && (c = fgetc(stream)) != EOF)
        s[i++] = c;
    if ((i == 0 && n > 1) || (c == EOF && !feof(stream)))
        return NULL;
    s[i] = 0;
    return s;
}

/* A line from stdin without its newline; NULL at the end with nothing read, or on a read
 * error. Nothing stops a long line from running past the end of s. */
char *gets(char *s)
{
    int i = 0, c;
    while ((c = getchar()) != EOF && c != '\n')
        s[i++] = c;
    if (c == EOF && (i == 0 || !feof(stdin)))
        return NULL;
    s[i] = 0;
    return s;
}

/* count items of `size` bytes; a partial last item is read but not counted */
size_t fread(void *p, size_t size, size_t count, FILE *stream)
{
    unsigned char *bytes = p;
    size_t n = size * count, i;
    int c;
    if (n == 0)
        return 0;
    for (i = 0; i < n && (c = fgetc(stream)) != EOF; i++)
        bytes[i] = c;
    return i / size;
}
