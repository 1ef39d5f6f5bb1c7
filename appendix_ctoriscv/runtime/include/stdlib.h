/* stdlib.h: C89's section 4.10 (multibyte characters of the "C" locale only: ASCII bytes;
 * system has no command processor; getenv finds nothing). */
#ifndef _STDLIB_H
#define _STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 32767
#define MB_CUR_MAX 1

typedef struct {
    int quot, rem;
} div_t;
typedef struct {
    long quot, rem;
} ldiv_t;

double atof(const char *s);
int atoi(const char *s);
long atol(const char *s);
double strtod(const char *s, char **end);
float strtof(const char *s, char **end);           /* C99 */
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
int abs(int x);
long labs(long x);
div_t div(int numerator, int denominator);
ldiv_t ldiv(long numerator, long denominator);
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t count, size_t size,
              int (*compare)(const void *, const void *));
int rand(void);
void srand(unsigned seed);
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);
void exit(int status);
int atexit(void (*function)(void));
void abort(void);
char *getenv(const char *name);
int system(const char *command);
int mblen(const char *s, size_t n);
int mbtowc(wchar_t *wide, const char *s, size_t n);
int wctomb(char *s, wchar_t wide);
size_t mbstowcs(wchar_t *wide, const char *s, size_t n);
size_t wcstombs(char *s, const wchar_t *wide, size_t n);

#endif
