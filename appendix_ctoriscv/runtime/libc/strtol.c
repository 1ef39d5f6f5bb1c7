#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

/* The value of digit character c, or 99 for a character that is no digit in any base. */
static int digit_value(int c)
{
    if (isdigit(c))
        return c - '0';
    if (isalpha(c))
        return tolower(c) - 'a' + 10;
    return 99;
}

/* The shared part of strtol and strtoul: spaces, a sign, the base's prefix, then digits.
 * Returns the magnitude (clamped to `limit`, with errno = ERANGE and *overflow set, when it
 * does not fit), sets *negative and points *end after the last digit (or at s when there is
 * no number). */
static unsigned long parse_unsigned(const char *s, char **end, int base, int *negative,
                                    int *overflow, unsigned long limit)
{
    const char *p = s;
    unsigned long value = 0;
    int any = 0, d;
    while (isspace((unsigned char)*p))
        p++;
    *negative = *p == '-';
    *overflow = 0;
    if (*p == '+' || *p == '-')
        p++;
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')
        && digit_value((unsigned char)p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = *p == '0' ? 8 : 10;
    }
    for (; (d = digit_value((unsigned char)*p)) < base; p++, any = 1) {
        if (value > (limit - d) / base)
            *overflow = 1;
        else
            value = value * base + d;
    }
    if (end)
        *end = (char *)(any ? p : s);
    if (*overflow) {
        errno = ERANGE;
        return limit;
    }
    return value;
}

long strtol(const char *s, char **end, int base)
{
    int negative, overflow;
    /* LONG_MIN's magnitude is one more than LONG_MAX's */
    unsigned long limit = (unsigned long)LONG_MAX + 1;
    unsigned long magnitude = parse_unsigned(s, end, base, &negative, &overflow, limit);
    if (!negative && magnitude == limit) {
        errno = ERANGE;
        return LONG_MAX;
    }
    return negative ? (long)(0 - magnitude) : (long)magnitude;
}

/* C says a minus sign negates the unsigned result: strtoul("-1") is ULONG_MAX. */
unsigned long strtoul(const char *s, char **end, int base)
{
    int negative, overflow;
    unsigned long magnitude = parse_unsigned(s, end, base, &negative, &overflow, ULONG_MAX);
    if (overflow)
        return ULONG_MAX;
    return negative ? 0 - magnitude : magnitude;
}
