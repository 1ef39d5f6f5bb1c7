#include <string.h>

#include "softfloat.h"

/* printf's %f, %e and %g, exact: a finite double is m * 2^e with integers m and e, so its
 * value is N / 10^k for the integer N = m * 2^e, k = 0 (e >= 0) or N = m * 5^-e, k = -e
 * (e < 0). N is computed in full, as a decimal big number, so every digit printed is
 * right and the last one is rounded from the exact value: to nearest, ties to even, as glibc
 * does. Precisions are cut to FORMAT_PRECISION (softfloat.h), past which every digit is 0.
 * The cost: up to about 770 digits and a few million instructions for the extremes (DBL_MAX,
 * subnormals); small numbers take a few thousand. */

#define LIMB 100000000U                 /* a limb holds 8 decimal digits */
#define MAX_LIMBS 100                   /* 800 digits: m * 5^1074 has 767 */

/* x / LIMB for x < 64 * LIMB, leaving the remainder in *x: six compare-and-subtracts, not a
 * division routine (RV32I has no divide instruction) */
static unsigned divide_limb(unsigned *x)
{
    unsigned quotient = 0;
    int bit;
    for (bit = 5; bit >= 0; bit--) {
        if (*x >= LIMB << bit) {
            *x -= LIMB << bit;
            quotient |= 1U << bit;
        }
    }
    return quotient;
}

/* limbs (least significant first, n of them) *= factor (<= 40, so a limb * factor + carry
 * fits in 32 bits), += addend (< 43 * LIMB); the new limb count */
static int multiply_add(unsigned *limbs, int n, unsigned factor, unsigned addend)
{
    unsigned carry = addend;
    int i;
    for (i = 0; i < n; i++) {
        unsigned x = limbs[i] * factor + carry;
        carry = divide_limb(&x);
        limbs[i] = x;
    }
    while (carry > 0) {
        unsigned x = carry;
        carry = divide_limb(&x);
        limbs[n++] = x;
    }
    return n;
}

/* --8<-- [start:exact_digits] */
/* All the decimal digits of |v| (finite), without leading zeros ("0" for zero), into
 * `digits`; returns their count and sets *point to how many come before the decimal point
 * (it may be negative or past the count). */
static int exact_digits(Bits64 v, char *digits, int *point)
{
    unsigned limbs[MAX_LIMBS], m_hi = v.hi & 0x000FFFFFU;
    int exp = (v.hi >> 20) & 0x7FF, n = 1, k = 0, count = 0, i, j;
    if (exp != 0)
        m_hi |= 0x00100000U;            /* the implicit 1 */
    exp = (exp ? exp : 1) - 1075;       /* |v| = m * 2^exp, m = m_hi * 2^32 + v.lo */
    limbs[0] = m_hi;                    /* < 2^21 < LIMB */
    for (i = 0; i < 8; i++)             /* times 16^8 = 2^32, the low word in two halves */
        n = multiply_add(limbs, n, 16, i == 3 ? v.lo >> 16 : i == 7 ? v.lo & 0xFFFF : 0);
    for (; exp >= 5; exp -= 5)
        n = multiply_add(limbs, n, 32, 0);
    for (; exp > 0; exp--)
        n = multiply_add(limbs, n, 2, 0);
    for (; exp <= -2; exp += 2, k += 2)         /* m / 2^j = m * 5^j / 10^j */
        n = multiply_add(limbs, n, 25, 0);
    for (; exp < 0; exp++, k++)
        n = multiply_add(limbs, n, 5, 0);
    for (i = n - 1; i >= 0; i--) {      /* the limbs as 8 digits each, most significant first */
        unsigned limb = limbs[i];
        for (j = 7; j >= 0; j--) {
            digits[count + j] = '0' + limb % 10;
            limb /= 10;
        }
        count += 8;
    }
    for (i = 0; i < count - 1 && digits[i] == '0'; i++)
        ;                               /* strip the leading zeros */
    memmove(digits, digits + i, count - i);
    count -= i;
    *point = count - k;
    return count;
}
/* --8<-- [end:exact_digits] */

/* Keeps the first `keep` digits, rounding to nearest with ties to even on the exact digits
 * dropped; a carry out of the first digit ("99" -> "100") moves the point. The new count. */
static int round_digits(char *digits, int count, int keep, int *point)
{
    int i, up;
    if (keep >= count)
        return count;
    if (keep < 0)
        return 0;                       /* below half of the last place kept: zero */
    up = digits[keep] > '5';
    if (digits[keep] == '5') {          /* a tie unless a later digit is not 0 */
        for (i = keep + 1; i < count && digits[i] == '0'; i++)
            ;
        up = i < count || (keep > 0 && (digits[keep - 1] - '0') % 2 == 1);
    }
    if (up) {
        for (i = keep - 1; i >= 0 && digits[i] == '9'; i--)
            digits[i] = '0';
        if (i >= 0) {
            digits[i]++;
        } else {
            memmove(digits + 1, digits, keep);
            digits[0] = '1';
            keep++;
            (*point)++;
        }
    }
    return keep;
}

/* digit i of the number (0 past the digits we have, or before them) */
static char digit_at(const char *digits, int count, int i)
{
    return i >= 0 && i < count ? digits[i] : '0';
}

/* [-]ddd.ddd: `precision` digits after the point */
static int fixed(char *out, const char *digits, int count, int point, int precision, int alt)
{
    int n = 0, i;
    if (point <= 0)
        out[n++] = '0';
    for (i = 0; i < point; i++)
        out[n++] = digit_at(digits, count, i);
    if (precision > 0 || alt)
        out[n++] = '.';
    for (i = 0; i < precision; i++)
        out[n++] = digit_at(digits, count, point + i);
    return n;
}

/* d.ddde+XX: `precision` digits after the point, an exponent of 2 digits at least */
static int scientific(char *out, const char *digits, int count, int exp10, int precision,
                      int alt, int upper)
{
    int n = 0, i, magnitude = exp10 < 0 ? -exp10 : exp10;
    out[n++] = digit_at(digits, count, 0);
    if (precision > 0 || alt)
        out[n++] = '.';
    for (i = 1; i <= precision; i++)
        out[n++] = digit_at(digits, count, i);
    out[n++] = upper ? 'E' : 'e';
    out[n++] = exp10 < 0 ? '-' : '+';
    if (magnitude >= 100)
        out[n++] = '0' + magnitude / 100;
    out[n++] = '0' + magnitude / 10 % 10;
    out[n++] = '0' + magnitude % 10;
    return n;
}

/* --8<-- [start:format_double] */
/* The text of |v| for the conversion f, F, e, E, g or G (the sign is the caller's), into
 * `out` (room for 330 + FORMAT_PRECISION characters); returns its length. */
int __sf_format_double(char *out, Bits64 v, int conversion, int precision, int alt)
{
    char digits[8 * MAX_LIMBS];
    int count, point, upper = conversion < 'a', n, exp10;
    int c = conversion | 0x20;          /* lower case */
    if (((v.hi >> 20) & 0x7FF) == 0x7FF) {              /* infinity or NaN */
        const char *text = (v.hi & 0x000FFFFFU) || v.lo ? "nan" : "inf";
        for (n = 0; n < 3; n++)
            out[n] = upper ? text[n] - 32 : text[n];
        return 3;
    }
    if (precision < 0)
        precision = 6;
    if (precision > FORMAT_PRECISION)
        precision = FORMAT_PRECISION;
    count = exact_digits(v, digits, &point);
    if (count == 1 && digits[0] == '0')
        point = 1;                      /* zero: one digit, before the point */
    if (c == 'f')
        return fixed(out, digits, round_digits(digits, count, point + precision, &point),
                     point, precision, alt);
    if (c == 'e') {
        count = round_digits(digits, count, precision + 1, &point);
        return scientific(out, digits, count, digits[0] == '0' ? 0 : point - 1, precision,
                          alt, upper);
    }
    /* g: precision P significant digits; %e's form when the exponent X < -4 or X >= P,
     * else %f's with P - 1 - X decimals; then no trailing zeros (unless #) */
    if (precision == 0)
        precision = 1;
    count = round_digits(digits, count, precision, &point);
    exp10 = digits[0] == '0' ? 0 : point - 1;
    if (exp10 < -4 || exp10 >= precision)
        n = scientific(out, digits, count, exp10, precision - 1, alt, upper);
    else
        n = fixed(out, digits, count, point, precision - 1 - exp10, alt);
    if (!alt && memchr(out, '.', n)) {
        char *mark = out + n, *end;
        for (end = out; end < mark && *end != 'e' && *end != 'E'; end++)
            ;
        mark = end;                     /* trailing zeros end before the exponent */
        while (mark[-1] == '0')
            mark--;
        if (mark[-1] == '.')
            mark--;
        memmove(mark, end, out + n - end);
        n -= end - mark;
    }
    return n;
}
/* --8<-- [end:format_double] */
