#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The scanf family (C89 4.9.6.2), over one scanner that reads from a stream or a string:
 * conversions d i u o x X p (through strtol/strtoul), e f g E G (through strtod), s c [ and n,
 * with `*` (read, do not assign), a width, and h, l or L. The text of a number is collected
 * first, as far as it can still become one (one character of look-ahead, pushed back after);
 * then strtol or strtod converts that text (for %f and its kind: decimal or hexadecimal, inf,
 * infinity and nan, as strtod reads them). */

/* the longest number read: room for any double as printf's %f or %e writes it with up to
 * 1200 decimals (DBL_MAX has 309 digits before the point); longer ones are cut (glibc: no
 * limit) */
#define NUMBER_MAX 1600

/* Where the characters come from: a stream, or a string; `count` is how many were read, for
 * %n. */
typedef struct {
    FILE *stream;
    const char *s;
    int count;
} Source;

static int next(Source *in)
{
    int c = in->stream ? fgetc(in->stream) : *in->s ? (unsigned char)*in->s++ : EOF;
    in->count += c != EOF;
    return c;
}

static void back(Source *in, int c)
{
    if (c == EOF)
        return;
    in->count--;
    if (in->stream)
        ungetc(c, in->stream);
    else
        in->s--;
}

/* skips white space; the first character after it (pushed back), or EOF */
static int skip_space(Source *in)
{
    int c;
    while (isspace(c = next(in)))
        ;
    back(in, c);
    return c;
}

/* Is text[0..n) followed by c, in any case, the start of `word`? */
static int starts_word(const char *text, int n, int c, const char *word)
{
    int i;
    for (i = 0; i < n; i++)
        if (tolower((unsigned char)text[i]) != word[i])
            return 0;
    return word[n] != 0 && tolower(c) == word[n];
}

/* May c extend text[0..n), no sign, towards what strtod reads? Digits with one point, then
 * e (p for hex, after 0x), a sign and digits; or inf, infinity or nan. */
static int extends_real(const char *text, int n, int c)
{
    int hex = n >= 2 && text[0] == '0' && (text[1] | 0x20) == 'x', i, digits = 0;
    int mark = hex ? 'p' : 'e';         /* the exponent's letter */
    const char *e = NULL;
    if (starts_word(text, n, c, "infinity") || starts_word(text, n, c, "nan"))
        return 1;
    if (n == 1 && text[0] == '0' && (c | 0x20) == 'x')
        return 1;
    for (i = hex ? 2 : 0; i < n; i++) {
        if ((text[i] | 0x20) == mark)
            e = text + i;
        digits += e == NULL && (hex ? isxdigit((unsigned char)text[i])
                                    : isdigit((unsigned char)text[i]));  /* fmt: skip */
    }
    if (e != NULL)                      /* the exponent: a sign right after the letter, digits */
        return isdigit(c) || ((c == '+' || c == '-') && e == text + n - 1);
    if (hex ? isxdigit(c) : isdigit(c))
        return 1;
    if (c == '.')
        return memchr(text, '.', n) == NULL;
    return (c | 0x20) == mark && digits > 0;
}

/* May c extend text[0..n) towards a number of this conversion: d i u o x p, or f for every
 * floating point one? Integers: a sign, then "0x" for hex (x, p, and i), then digits of the
 * base (i: 0x is hex, a leading 0 octal). */
static int extends_number(const char *text, int n, int c, int conversion)
{
    int start = n > 0 && (text[0] == '+' || text[0] == '-'), digits = n - start;
    int base = conversion == 'o' ? 8 : conversion == 'x' || conversion == 'p' ? 16 : 10;
    if (n == 0 && (c == '+' || c == '-'))
        return 1;
    if (conversion == 'f')
        return extends_real(text + start, digits, c);
    if (digits == 1 && text[start] == '0' && (c == 'x' || c == 'X'))
        return base == 16 || conversion == 'i';
    if (base == 16 || (conversion == 'i' && digits > 1 && (text[start + 1] | 0x20) == 'x'))
        return isxdigit(c);
    if (conversion == 'i' && digits > 0 && text[start] == '0')
        base = 8;
    return isdigit(c) && c - '0' < base;
}

/* Reads the longest text that may still be a number (at most width characters); returns its
 * length. */
static int read_number(Source *in, char *text, int width, int conversion)
{
    int n = 0, c;
    if (width <= 0 || width >= NUMBER_MAX)
        width = NUMBER_MAX - 1;
    while (n < width && (c = next(in)) != EOF) {
        if (!extends_number(text, n, c, conversion)) {
            back(in, c);
            break;
        }
        text[n++] = c;
    }
    text[n] = 0;
    return n;
}

/* %[: the end of the set that starts at `set` (after the '['): its closing ']' (a ']' first
 * is one of the set, not its end) */
static const char *set_end(const char *set)
{
    const char *p = set + (*set == '^');
    p += *p == ']';
    while (*p && *p != ']')
        p++;
    return p;
}

/* Is c in the set [set, end)? a-z is a range, as in glibc (C89 leaves '-' to the library),
 * except first or last, where '-' is itself. */
static int in_set(const char *set, const char *end, int c)
{
    int negate = *set == '^', found = 0;
    const unsigned char *p = (const unsigned char *)set + negate;
    for (; p < (const unsigned char *)end; p++) {
        if (p[1] == '-' && p + 2 < (const unsigned char *)end) {
            found |= c >= p[0] && c <= p[2];
            p += 2;
        } else {
            found |= c == p[0];
        }
    }
    return found != negate;
}

/* What one directive did: matched (a conversion stored, or skipped with *), failed to match,
 * or met the end of the input */
enum { MATCHED, NO_MATCH, AT_END };

static int status_of(int c)
{
    return c == EOF ? AT_END : NO_MATCH;
}

/* a character of the format other than a conversion: it must come next */
static int scan_literal(Source *in, int expected)
{
    int c = next(in);
    if (c == expected)
        return MATCHED;
    back(in, c);
    return status_of(c);
}

/* %c (width characters, white space included), %s (up to white space) and %[ (characters of
 * the set [set, set_end)); into out unless it is NULL; %s and %[ end with a NUL */
static int scan_text(Source *in, int conversion, int width, const char *set, const char *set_end,
                     char *out)
{
    int n, c = 0;
    if (width == 0)
        width = conversion == 'c' ? 1 : 0x7FFFFFFF;
    for (n = 0; n < width && (c = next(in)) != EOF; n++) {
        if ((conversion == 's' && isspace(c))
            || (conversion == '[' && !in_set(set, set_end, c))) {
            back(in, c);
            break;
        }
        if (out)
            out[n] = c;
    }
    if (n == 0 || (conversion == 'c' && n < width))
        return status_of(c);
    if (out && conversion != 'c')
        out[n] = 0;
    return MATCHED;
}

/* %d %i %u %o %x %p (conversion in lower case), stored as length says (h: short) */
static int scan_integer(Source *in, int conversion, int width, int length, void *out)
{
    char text[NUMBER_MAX], *end;
    int base = conversion == 'd' || conversion == 'u' ? 10 : conversion == 'o' ? 8
               : conversion == 'i' ? 0 : 16;    /* fmt: skip */
    unsigned long value;
    if (read_number(in, text, width, conversion) == 0)
        return NO_MATCH;
    value = conversion == 'd' || conversion == 'i' ? (unsigned long)strtol(text, &end, base)
                                                   : strtoul(text, &end, base);  /* fmt: skip */
    if (*end)                           /* "-" or "0x" alone */
        return NO_MATCH;
    if (out == NULL)
        return MATCHED;
    if (conversion == 'p')
        *(void **)out = (void *)value;
    else if (length == 'h')
        *(short *)out = (short)value;
    else
        *(int *)out = (int)value;       /* long is int's size on RV32 */
    return MATCHED;
}

/* %e %f %g: a float (through strtof: rounded once), or with l (or L) a double */
static int scan_real(Source *in, int width, int length, void *out)
{
    char text[NUMBER_MAX], *end;
    int wide = length == 'l' || length == 'L';
    double d = 0;
    float f = 0;
    if (read_number(in, text, width, 'f') == 0)
        return NO_MATCH;
    if (wide)
        d = strtod(text, &end);
    else
        f = strtof(text, &end);
    if (*end)                           /* "1e" or "-": not a number after all */
        return NO_MATCH;
    if (out && wide)
        *(double *)out = d;
    else if (out)
        *(float *)out = f;
    return MATCHED;
}

/* --8<-- [start:scan] */
/* The scanner under the whole family: the count of items assigned, or EOF when the input
 * ended before the first conversion. */
static int scan(Source *in, const char *format, va_list ap)
{
    int assigned = 0, conversions = 0, status;
    for (; *format; format++) {
        int suppress = 0, width = 0, length = 0, conversion;
        const char *set = NULL, *end_of_set = NULL;
        void *out;
        if (isspace((unsigned char)*format)) {  /* white space matches any amount */
            skip_space(in);
            continue;
        }
        if (*format != '%' || format[1] == '%') {
            if (*format == '%') {       /* %% matches a %, after white space */
                format++;
                skip_space(in);
            }
            status = scan_literal(in, (unsigned char)*format);
        } else {
            if (*++format == '*') {
                suppress = 1;
                format++;
            }
            for (; isdigit((unsigned char)*format); format++)
                width = width * 10 + (*format - '0');
            if (*format == 'h' || *format == 'l' || *format == 'L')
                length = *format++;
            conversion = *format;
            if (conversion == '[') {    /* the set runs to its ']' */
                set = format + 1;
                end_of_set = set_end(set);
                format = *end_of_set ? end_of_set : end_of_set - 1;
            }
            out = suppress ? NULL : va_arg(ap, void *);     /* every argument is a pointer */
            if (conversion == 'n') {
                if (out)
                    *(int *)out = in->count;
                continue;
            }
            if (conversion != 'c' && conversion != '[' && skip_space(in) == EOF)
                status = AT_END;
            else if (conversion == 'c' || conversion == 's' || conversion == '[')
                status = scan_text(in, conversion, width, set, end_of_set, out);
            else if (conversion && strchr("diuoxXp", conversion))
                status = scan_integer(in, conversion | 0x20, width, length, out);
            else if (conversion && strchr("eEfgG", conversion))
                status = scan_real(in, width, length, out);
            else
                status = NO_MATCH;      /* an unknown conversion */
            conversions += status == MATCHED;
            assigned += status == MATCHED && out != NULL;
        }
        if (status == AT_END)
            return conversions == 0 ? EOF : assigned;
        if (status == NO_MATCH)
            return assigned;
    }
    return assigned;
}
/* --8<-- [end:scan] */

int vfscanf(FILE *stream, const char *format, va_list ap)
{
    Source in;
    in.stream = stream;
    in.s = NULL;
    in.count = 0;
    return scan(&in, format, ap);
}

int vsscanf(const char *s, const char *format, va_list ap)
{
    Source in;
    in.stream = NULL;
    in.s = s;
    in.count = 0;
    return scan(&in, format, ap);
}

int fscanf(FILE *stream, const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vfscanf(stream, format, ap);
    va_end(ap);
    return n;
}

int scanf(const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vfscanf(stdin, format, ap);
    va_end(ap);
    return n;
}

int sscanf(const char *s, const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vsscanf(s, format, ap);
    va_end(ap);
    return n;
}
