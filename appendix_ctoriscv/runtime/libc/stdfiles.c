#include <stdio.h>

/* The three standard streams, and __flush, which writes out what a stream's buffer holds.
 * They live apart from the rest of stdio so that exit can flush stdout (and stderr, should
 * setvbuf have buffered it) without linking stdio into every program: a program that never
 * prints gets these objects (buffers in uninitialised memory, no file bytes) and __flush,
 * but none of stdio's other code. */

int write(int fd, const void *buf, int n);

static unsigned char in_buffer[BUFSIZ], out_buffer[BUFSIZ];

/* --8<-- [start:streams] */
FILE __stdin = {0, _IOFBF, 0, 0, in_buffer, BUFSIZ, 0, 0, EOF};
FILE __stdout = {1, _IOLBF, 0, 0, out_buffer, BUFSIZ, 0, 0, EOF};
FILE __stderr = {2, _IONBF, 0, 0, NULL, 0, 0, 0, EOF};     /* C89: not fully buffered */
/* --8<-- [end:streams] */

/* Writes n bytes to the stream's descriptor (write may take fewer than asked); the count
 * written, which is less than n when the descriptor refused the rest (then the stream's
 * error indicator is set). */
int __write_all(FILE *stream, const void *bytes, int n)
{
    int done = 0, k;
    while (done < n) {
        k = write(stream->fd, (const char *)bytes + done, n - done);
        if (k <= 0) {
            stream->error = 1;
            break;
        }
        done += k;
    }
    return done;
}

/* Writes out the bytes waiting in an output stream's buffer: 0, or EOF if they did not all
 * go (they are dropped either way). */
int __flush(FILE *stream)
{
    int n = stream->used;
    stream->used = 0;
    return __write_all(stream, stream->buffer, n) == n ? 0 : EOF;
}
