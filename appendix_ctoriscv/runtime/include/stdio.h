/* stdio.h: output on stdout (line-buffered) and stderr (unbuffered), input on stdin, and the
 * printf family. A FILE * here is a file descriptor in disguise: stdout is (FILE *)1. */
#ifndef _STDIO_H
#define _STDIO_H

#include <stdarg.h>
#include <stddef.h>

typedef struct __FILE FILE;             /* never defined: only pointers to it exist */
#define EOF (-1)
#define BUFSIZ 1024
#define stdin ((FILE *)0)
#define stdout ((FILE *)1)
#define stderr ((FILE *)2)

int putchar(int c);
int fputc(int c, FILE *stream);
int putc(int c, FILE *stream);
int puts(const char *s);
int fputs(const char *s, FILE *stream);
size_t fwrite(const void *p, size_t size, size_t count, FILE *stream);
int fflush(FILE *stream);
int getchar(void);
int fgetc(FILE *stream);
int getc(FILE *stream);
char *fgets(char *s, int n, FILE *stream);

int printf(const char *format, ...);
int fprintf(FILE *stream, const char *format, ...);
int sprintf(char *s, const char *format, ...);
int snprintf(char *s, size_t n, const char *format, ...);
int vprintf(const char *format, va_list ap);
int vfprintf(FILE *stream, const char *format, va_list ap);
int vsprintf(char *s, const char *format, va_list ap);
int vsnprintf(char *s, size_t n, const char *format, va_list ap);

#endif
