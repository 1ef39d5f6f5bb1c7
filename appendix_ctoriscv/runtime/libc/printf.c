#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softfloat.h"

/* The printf family. One formatter, vsnprintf, writes into a buffer; the others are built on
 * it: sprintf into the caller's buffer, vfprintf into a buffer on the stack (or, for long
 * output, one from malloc) that then goes to the stream.
 *
 * A conversion is %[flags][width][.precision][length]conversion, as in C89 4.9.6.1: flags
 * `-+ #0`, a width and a precision as digits or `*`, length h, hh or l, and the conversions
 * d i u x X o c s p n %, and f F e E g G for doubles (printf_float.c writes their digits). */

#define LEFT 1                          /* '-': pad on the right */
#define PLUS 2                          /* '+': a sign even when positive */
#define SPACE 4                         /* ' ': a space where the sign would be */
#define ALT 8                           /* '#': 0x before hex, 0 before octal */
#define ZERO 16                         /* '0': pad with zeros after the sign */
static const char flag_chars[] = "-+ #0";       /* in the order of the bits above */

/* the output: out_len counts every character, written or not; only the first out_size - 1
 * are stored (snprintf's truncation), then a NUL */
static char *out;
static size_t out_size, out_len;

static void emit(int c)
{
    if (out_len + 1 < out_size)
        out[out_len] = c;
    out_len++;
}

static void emit_repeated(int c, int count)
{
    for (; count > 0; count--)
        emit(c);
}

static void emit_text(const char *s, int n)
{
    for (; n > 0; n--)
        emit(*s++);
}

/* s (n characters) in a field of `width`, on the right unless the LEFT flag */
static void format_padded(const char *s, int n, int flags, int width)
{
    if (!(flags & LEFT))
        emit_repeated(' ', width - n);
    emit_text(s, n);
    if (flags & LEFT)
        emit_repeated(' ', width - n);
}

/* --8<-- [start:format_integer] */
/* The digits of `value` in the conversion's base; then the layout: [spaces] sign-or-prefix
 * [zeros] digits [spaces]. The precision is the least number of digits (zeros in front). */
static void format_integer(unsigned value, int negative, int flags, int width, int precision,
                           int conversion)
{
    const char *alphabet = conversion == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned base = conversion == 'o' ? 8 : conversion == 'u' || conversion == 'd' ? 10 : 16;
    char digits[32];
    const char *prefix = negative ? "-" : flags & PLUS ? "+" : flags & SPACE ? " " : "";
    int n = 0, zeros, length;
    if ((flags & ALT && (conversion == 'x' || conversion == 'X') && value != 0)
        || conversion == 'p')
        prefix = conversion == 'X' ? "0X" : "0x";
    for (; value != 0; value /= base)
        digits[n++] = alphabet[value % base];
    if (precision < 0)
        precision = 1;                  /* at least one digit, unless asked for none */
    else
        flags &= ~ZERO;                 /* a precision turns the 0 flag off (C89 4.9.6.1) */
    zeros = precision > n ? precision - n : 0;
    if (conversion == 'o' && flags & ALT && zeros == 0 && (n == 0 || digits[n - 1] != '0'))
        zeros = 1;                      /* # makes octal start with a 0 */
    length = strlen(prefix) + zeros + n;
    if (flags & ZERO && !(flags & LEFT) && width > length) {
        zeros += width - length;
        length = width;
    }
    if (!(flags & LEFT))
        emit_repeated(' ', width - length);
    emit_text(prefix, strlen(prefix));
    emit_repeated('0', zeros);
    while (n > 0)
        emit(digits[--n]);
    if (flags & LEFT)
        emit_repeated(' ', width - length);
}
/* --8<-- [end:format_integer] */

/* A double: the sign here, the digits from printf_float.c, then the layout of an integer's
 * (zeros after the sign with the 0 flag, except for inf and nan). A precision over
 * FORMAT_PRECISION only adds zeros (%g drops them, unless #): they go before the exponent. */
static void format_double(Bits64 v, int flags, int width, int precision, int conversion)
{
    char body[FORMAT_PRECISION + 340];
    const char *sign = v.hi & 0x80000000U ? "-" : flags & PLUS ? "+" : flags & SPACE ? " " : "";
    int n = __sf_format_double(body, v, conversion, precision, flags & ALT);
    int finite = body[0] >= '0' && body[0] <= '9', more = 0, split, length, zeros = 0;
    if (finite && precision > FORMAT_PRECISION && ((conversion | 0x20) != 'g' || flags & ALT))
        more = precision - FORMAT_PRECISION;
    for (split = 0; split < n && (body[split] | 0x20) != 'e'; split++)
        ;
    length = strlen(sign) + n + more;
    if (flags & ZERO && !(flags & LEFT) && width > length && finite)
        zeros = width - length;
    if (!(flags & LEFT))
        emit_repeated(' ', width - length - zeros);
    emit_text(sign, strlen(sign));
    emit_repeated('0', zeros);
    emit_text(body, split);
    emit_repeated('0', more);
    emit_text(body + split, n - split);
    if (flags & LEFT)
        emit_repeated(' ', width - length);
}

/* --8<-- [start:vsnprintf] */
int vsnprintf(char *s, size_t size, const char *format, va_list ap)
{
    const char *p;
    out = s;
    out_size = size;
    out_len = 0;
    for (p = format; *p; p++) {
        int flags = 0, width = 0, precision = -1, length = 0, c;
        if (*p != '%') {
            emit(*p);
            continue;
        }
        for (;; p++) {                  /* flags, in any order */
            const char *flag = strchr(flag_chars, p[1]);
            if (p[1] == 0 || flag == NULL)
                break;
            flags |= 1 << (flag - flag_chars);
        }
        if (*++p == '*') {              /* the width: digits, or * for an int argument */
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= LEFT;
                width = -width;
            }
            p++;
        }
        for (; *p >= '0' && *p <= '9'; p++)
            width = width * 10 + *p - '0';
        if (*p == '.') {                /* the precision; a negative * counts as none */
            precision = 0;
            if (*++p == '*') {
                precision = va_arg(ap, int);
                p++;
            }
            for (; *p >= '0' && *p <= '9'; p++)
                precision = precision * 10 + *p - '0';
        }
        for (; *p == 'h' || *p == 'l'; p++)
            length = *p == 'h' ? length - 1 : 1;        /* -1 h, -2 hh, 1 l */
        c = *p;
        if (c == 'd' || c == 'i') {
            int v = va_arg(ap, int);
            v = length == -1 ? (short)v : length == -2 ? (signed char)v : v;
            format_integer(v < 0 ? 0U - v : v, v < 0, flags, width, precision, 'd');
        } else if (c == 'u' || c == 'x' || c == 'X' || c == 'o') {
            unsigned v = va_arg(ap, unsigned);
            v = length == -1 ? (unsigned short)v : length == -2 ? (unsigned char)v : v;
            format_integer(v, 0, flags & ~(PLUS | SPACE), width, precision, c);
        } else if (c == 'p') {
            void *v = va_arg(ap, void *);
            if (v == NULL)
                format_padded("(nil)", 5, flags, width);
            else
                format_integer((unsigned)v, 0, flags, width, precision, 'p');
        } else if (c == 'c') {
            char ch = va_arg(ap, int);
            format_padded(&ch, 1, flags, width);
        } else if (c == 's') {
            const char *v = va_arg(ap, const char *);
            int n = 0;
            if (v == NULL)              /* glibc's output for a null string */
                v = precision < 0 || precision >= 6 ? "(null)" : "";
            while ((precision < 0 || n < precision) && v[n])
                n++;
            format_padded(v, n, flags, width);
        } else if (c != 0 && strchr("fFeEgG", c)) {
            /* a double argument sits at an 8-byte boundary (the psABI's rule for varargs) */
            Bits64 v;
            ap = (va_list)(((unsigned)ap + 7) & ~7U);
            v = va_arg(ap, Bits64);
            format_double(v, flags, width, precision, c);
        } else if (c == 'n') {          /* the count so far, into an int of the length asked */
            void *count = va_arg(ap, void *);
            if (length == -1)
                *(short *)count = out_len;
            else if (length == -2)
                *(signed char *)count = out_len;
            else
                *(int *)count = out_len;
        } else if (c == '%') {
            emit('%');
        } else {                        /* not a conversion: print it as it stands */
            emit('%');
            if (c == 0)
                break;
            emit(c);
        }
    }
    if (out_size > 0)
        out[out_len < out_size ? out_len : out_size - 1] = 0;
    return out_len;
}
/* --8<-- [end:vsnprintf] */

int vsprintf(char *s, const char *format, va_list ap)
{
    return vsnprintf(s, 0x7FFFFFFF, format, ap);
}

/* Formats into a buffer on the stack; output longer than that is formatted again into one
 * from malloc, from the same arguments (the argument pointer is a plain pointer: a copy
 * walks them again). */
int vfprintf(FILE *stream, const char *format, va_list ap)
{
    char small[256];
    char *text = small;
    int n = vsnprintf(small, sizeof small, format, ap);
    if (n >= (int)sizeof small) {
        text = malloc(n + 1);
        if (text == NULL)
            return EOF;
        vsnprintf(text, n + 1, format, ap);
    }
    if (fwrite(text, 1, n, stream) != (size_t)n)
        n = EOF;
    if (text != small)
        free(text);
    return n;
}

int vprintf(const char *format, va_list ap)
{
    return vfprintf(stdout, format, ap);
}

/* --8<-- [start:printf] */
int printf(const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vfprintf(stdout, format, ap);
    va_end(ap);
    return n;
}
/* --8<-- [end:printf] */

int fprintf(FILE *stream, const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vfprintf(stream, format, ap);
    va_end(ap);
    return n;
}

int sprintf(char *s, const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vsprintf(s, format, ap);
    va_end(ap);
    return n;
}

int snprintf(char *s, size_t size, const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vsnprintf(s, size, format, ap);
    va_end(ap);
    return n;
}
