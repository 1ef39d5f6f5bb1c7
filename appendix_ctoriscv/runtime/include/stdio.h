/* stdio.h: output on stdout (line-buffered) and stderr (unbuffered), input on stdin, and the
 * printf family. A FILE * here is a file descriptor in disguise: stdout is (FILE *)1. */
#ifndef _STDIO_H
#define _STDIO_H

#include <stddef.h>

#define FILE void
#define EOF (-1)
#define BUFSIZ 1024
#define stdin ((FILE *)0)
#define stdout ((FILE *)1)
#define stderr ((FILE *)2)
#define va_list_ char *

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

int printf();
int fprintf();
int sprintf();
int snprintf();
int vprintf(const char *format, va_list_ ap);
int vfprintf(FILE *stream, const char *format, va_list_ ap);
int vsprintf(char *s, const char *format, va_list_ ap);
int vsnprintf(char *s, size_t n, const char *format, va_list_ ap);

#undef va_list_
#endif
