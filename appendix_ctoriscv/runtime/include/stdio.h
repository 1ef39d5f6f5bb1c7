/* stdio.h: streams over file descriptors (C89 section 4.9). stdin, stdout and stderr are FILE
 * objects: stdout is line-buffered (flushed at each newline, when full, at fflush and at exit),
 * stderr unbuffered, stdin read a buffer at a time. There is no file system to open files in:
 * fopen always fails, and the streams (pipes) have no file position. Also the printf and scanf
 * families. */
#ifndef _STDIO_H
#define _STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)
#define BUFSIZ 1024
#define _IOFBF 0                        /* fully buffered */
#define _IOLBF 1                        /* line buffered */
#define _IONBF 2                        /* unbuffered */
#define FOPEN_MAX 3
#define FILENAME_MAX 256
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define L_tmpnam 20
#define TMP_MAX 10000

typedef long fpos_t;

/* --8<-- [start:file] */
typedef struct __FILE {
    int fd;                             /* the file descriptor: 0, 1 or 2 */
    int mode;                           /* _IOFBF, _IOLBF or _IONBF */
    int eof, error;                     /* the indicators feof and ferror report */
    unsigned char *buffer;
    int size;                           /* the buffer's size */
    int used;                           /* output: bytes waiting; input: bytes read in */
    int next;                           /* input: the next byte of buffer to hand out */
    int pushed;                         /* a character ungetc pushed back, or EOF */
} FILE;
/* --8<-- [end:file] */

extern FILE __stdin, __stdout, __stderr;       /* in stdfiles.c */
#define stdin (&__stdin)
#define stdout (&__stdout)
#define stderr (&__stderr)

FILE *fopen(const char *name, const char *mode);
FILE *freopen(const char *name, const char *mode, FILE *stream);
int remove(const char *name);
int rename(const char *old_name, const char *new_name);
FILE *tmpfile(void);
char *tmpnam(char *s);
int fseek(FILE *stream, long offset, int whence);
long ftell(FILE *stream);
void rewind(FILE *stream);
int fgetpos(FILE *stream, fpos_t *position);
int fsetpos(FILE *stream, const fpos_t *position);
int fclose(FILE *stream);
int fflush(FILE *stream);
int setvbuf(FILE *stream, char *buffer, int mode, size_t size);
void setbuf(FILE *stream, char *buffer);
int feof(FILE *stream);
int ferror(FILE *stream);
void clearerr(FILE *stream);
void perror(const char *s);

int putchar(int c);
int fputc(int c, FILE *stream);
int putc(int c, FILE *stream);
int puts(const char *s);
int fputs(const char *s, FILE *stream);
size_t fwrite(const void *p, size_t size, size_t count, FILE *stream);
int getchar(void);
int fgetc(FILE *stream);
int getc(FILE *stream);
int ungetc(int c, FILE *stream);
char *fgets(char *s, int n, FILE *stream);
char *gets(char *s);                    /* C89's; it cannot know s's size (C11 removed it) */
size_t fread(void *p, size_t size, size_t count, FILE *stream);

int printf(const char *format, ...);
int fprintf(FILE *stream, const char *format, ...);
int sprintf(char *s, const char *format, ...);
int snprintf(char *s, size_t n, const char *format, ...);
int vprintf(const char *format, va_list ap);
int vfprintf(FILE *stream, const char *format, va_list ap);
int vsprintf(char *s, const char *format, va_list ap);
int vsnprintf(char *s, size_t n, const char *format, va_list ap);

int scanf(const char *format, ...);
int fscanf(FILE *stream, const char *format, ...);
int sscanf(const char *s, const char *format, ...);
int vfscanf(FILE *stream, const char *format, va_list ap);
int vsscanf(const char *s, const char *format, va_list ap);

#endif
