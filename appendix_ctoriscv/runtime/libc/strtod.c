#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

/* strtod and atof: decimal text to the nearest double, exactly (C89 4.10.1.4); strtof (C99,
 * and scanf's %f) to the nearest float, by the same method.
 *
 * The text is D * 10^s for an integer D (its significant digits) and an integer s. That is
 * R / Q * 2^s with integers R = D * 5^s, Q = 1 when s >= 0, and R = D, Q = 5^-s when s < 0.
 * Both are computed in full as big integers; long division then gives the first 64 bits of
 * the quotient, and whether the remainder is zero. Rounding those 64 bits (the last one
 * "sticky": set when anything non-zero lies below) to 53 is as exact as rounding the infinite
 * binary expansion, so the result is the nearest double, ties to even, as glibc's.
 * No floating point arithmetic is used, so nothing rounds along the way.
 *
 * Only the first MAX_DIGITS significant digits are kept; a digit 1 appended after them stands
 * for any non-zero digits dropped. A boundary between two doubles (a midpoint) has at most
 * 767 significant digits, so it cannot lie between the kept number and the true one: both
 * round alike. Also read (C99): "inf", "infinity", "nan" and "nan(chars)" in any case, and
 * hexadecimal floating point ("0x1.8p3" is 1.5 * 2^3), whose digits are bits: no division. */

#define MAX_DIGITS 800                  /* significant digits kept */
#define LIMB_BITS 16                    /* a limb: 16 bits in an unsigned, so limb * factor */
#define LIMB_MASK 0xFFFFU               /* (factor < 2^16) + carry fits in 32 bits */
#define MAX_LIMBS 240                   /* 3840 bits: 10^801 * 2^64, or 5^1150 * 2^64 */

typedef union {
    double d;
    unsigned w[2];                      /* little endian: w[0] the low word */
} DoubleBits;

static double from_bits(unsigned hi, unsigned lo)
{
    DoubleBits u;
    u.w[0] = lo;
    u.w[1] = hi;
    return u.d;
}

/* *** big integers: n limbs of 16 bits, least significant first, no leading zero limb *** */

/* a = a * factor + addend (factor and addend < 2^16); the new limb count. The factors of
 * the long loops, 15625 and 10000, are multiplied by shifts and adds: RV32I has no multiply
 * instruction, and __mulsi3 takes a loop step per bit of the factor. */
static int big_mul_add(unsigned *a, int n, unsigned factor, unsigned addend)
{
    unsigned carry = addend, x;
    int i;
    for (i = 0; i < n; i++) {
        x = a[i];
        if (factor == 15625)            /* 16384 - 512 - 256 + 8 + 1 */
            x = (x << 14) - (x << 9) - (x << 8) + (x << 3) + x;
        else if (factor == 10000)
            x = (x << 13) + (x << 10) + (x << 9) + (x << 8) + (x << 4);
        else
            x = x * factor;
        x += carry;
        a[i] = x & LIMB_MASK;
        carry = x >> LIMB_BITS;
    }
    if (carry)
        a[n++] = carry;
    return n;
}

/* a = a * 5^k */
static int big_mul_pow5(unsigned *a, int n, int k)
{
    for (; k >= 6; k -= 6)
        n = big_mul_add(a, n, 15625, 0);       /* 5^6, the largest power below 2^16 */
    for (; k > 0; k--)
        n = big_mul_add(a, n, 5, 0);
    return n;
}

/* a = a * 2^k; the new limb count */
static int big_shift_left(unsigned *a, int n, int k)
{
    int words = k / LIMB_BITS, bits = k % LIMB_BITS, i;
    if (n == 0)
        return 0;
    a[n + words] = 0;
    for (i = n - 1; i >= 0; i--) {
        a[i + words + 1] |= a[i] >> (LIMB_BITS - bits);
        a[i + words] = (a[i] << bits) & LIMB_MASK;
    }
    for (i = 0; i < words; i++)
        a[i] = 0;
    n += words + 1;
    return a[n - 1] ? n : n - 1;
}

static int big_bit_length(const unsigned *a, int n)
{
    int bits = (n - 1) * LIMB_BITS;
    unsigned top = a[n - 1];
    for (; top; top >>= 1)
        bits++;
    return bits;
}

/* -1, 0 or 1 as a < b, a == b, a > b */
static int big_compare(const unsigned *a, int na, const unsigned *b, int nb)
{
    int i;
    if (na != nb)
        return na < nb ? -1 : 1;
    for (i = na - 1; i >= 0; i--)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Two 16-bit limbs to a 32-bit word, in place: the division needs no products, so it can
 * take 32 bits at a time. The new count, in words. */
static int big_to_words(unsigned *a, int n)
{
    int i;
    for (i = 0; 2 * i < n; i++)
        a[i] = a[2 * i] | (2 * i + 1 < n ? a[2 * i + 1] << LIMB_BITS : 0);
    return i;
}

/* One step of long division, in one pass over 32-bit words: a = 2 * (a - b) if subtract,
 * else 2 * a; b has at least na words (zeros on top). The new word count. */
static int big_step(unsigned *a, int na, const unsigned *b, int subtract)
{
    unsigned borrow = 0, carry = 0, mask = subtract ? 0xFFFFFFFFU : 0, x, y;
    int i;
    for (i = 0; i < na; i++) {
        y = b[i] & mask;
        x = a[i] - y - borrow;
        borrow = a[i] < y || (a[i] == y && borrow);     /* a[i] - y - borrow < 0 */
        a[i] = x << 1 | carry;
        carry = x >> 31;
    }
    if (carry)
        a[na++] = carry;
    while (na > 0 && a[na - 1] == 0)
        na--;
    return na;
}

/* --8<-- [start:strtod_round] */
/* The double nearest to q * 2^(e2 - 63), for the 64-bit q = hi:lo with bit 63 set (bit 0
 * sticky). Sets errno to ERANGE on overflow and on a tiny inexact result, as glibc does
 * (tiny: below 2^-1022 after rounding to 53 bits with an unbounded exponent). */
static double round_to_double(unsigned sign, unsigned hi, unsigned lo, int e2)
{
    int exp = e2 + 1022, shift;         /* the exponent field, one too low (see below) */
    unsigned round_bits, half = 0x400, mask = 0x7FF;
    int tiny = exp < 0 && !(exp == -1 && hi == 0xFFFFFFFFU && lo >= 0xFFFFFC00U);
    if (exp < 0) {                      /* subnormal: fewer bits than 53 are kept */
        shift = -exp;                   /* shift right by `shift`, jamming what falls out */
        if (shift >= 64) {
            lo = (hi | lo) != 0;
            hi = 0;
        } else if (shift >= 32) {
            unsigned lost = lo | (shift > 32 ? hi << (64 - shift) : 0);
            lo = hi >> (shift - 32) | (lost != 0);
            hi = 0;
        } else if (shift > 0) {
            unsigned lost = lo << (32 - shift);
            lo = lo >> shift | hi << (32 - shift) | (lost != 0);
            hi >>= shift;
        }
        exp = 0;
    }
    round_bits = lo & mask;
    if (tiny && round_bits)
        errno = ERANGE;
    /* keep the top 53 bits (hi:lo >> 11), then add 1 if the bits below are over half,
     * or exactly half and the kept number is odd (ties to even) */
    lo = lo >> 11 | hi << 21;
    hi >>= 11;
    if (round_bits > half || (round_bits == half && (lo & 1))) {
        lo++;
        hi += lo == 0;
    }
    /* The leading 1 (bit 52, bit 20 of hi) adds one to the exponent field, which is why it
     * was one too low: a carry to 2^53 moves the exponent up by itself, and a subnormal
     * that rounds up to 2^52 becomes the smallest normal number. */
    hi += (unsigned)exp << 20;
    if (hi >= 0x7FF00000U) {
        errno = ERANGE;
        return from_bits(sign | 0x7FF00000U, 0);        /* HUGE_VAL */
    }
    return from_bits(sign | hi, lo);
}
/* --8<-- [end:strtod_round] */

/* The same for a float (strtof, and scanf's %f): the float nearest to q * 2^(e2 - 63), as a
 * double (which holds every float exactly). Rounding the 64 bits to 24 once, as here, is
 * exact; rounding to a double first and then to a float could round twice (a decimal just
 * above a midpoint between two floats may become that midpoint as a double). */
static double round_to_float(unsigned sign, unsigned hi, unsigned lo, int e2)
{
    int exp = e2 + 126, shift;          /* the exponent field, one too low as above */
    unsigned sig = hi | (lo != 0), round_bits, bits;    /* 32 bits, the last one sticky */
    int tiny = exp < 0 && !(exp == -1 && sig >= 0xFFFFFF80U);
    union {
        float f;
        unsigned u;
    } result;
    if (exp > 253) {                    /* 2^128 or more even before rounding */
        errno = ERANGE;
        result.u = sign | 0x7F800000U;
        return result.f;
    }
    if (exp < 0) {                      /* subnormal: shift right, jamming what falls out */
        shift = -exp;
        sig = shift >= 32 ? sig != 0 : sig >> shift | (sig << (32 - shift) != 0);
        exp = 0;
    }
    round_bits = sig & 0xFF;
    if (tiny && round_bits)
        errno = ERANGE;
    sig >>= 8;                          /* 24 bits, the leading 1 at bit 23 */
    if (round_bits > 0x80 || (round_bits == 0x80 && (sig & 1)))
        sig++;
    bits = sig + ((unsigned)exp << 23);
    if (bits >= 0x7F800000U) {
        errno = ERANGE;
        bits = 0x7F800000U;
    }
    result.u = sign | bits;
    return result.f;
}

/* the nearest double, or the nearest float when `single` */
static double round_to(int single, unsigned sign, unsigned hi, unsigned lo, int e2)
{
    return single ? round_to_float(sign, hi, lo, e2) : round_to_double(sign, hi, lo, e2);
}

/* --8<-- [start:strtod_exact] */
/* The nearest double (a float when `single`) to (digits, n of them, each 0-9, the first not
 * 0) * 10^scale. */
static double decimal_to_double(unsigned sign, const char *digits, int n, int scale, int single)
{
    unsigned r[MAX_LIMBS], q[MAX_LIMBS], hi = 0, lo = 0;
    int nr = 0, nq = 1, e2 = scale, shift, i;
    for (i = 0; i + 4 <= n; i += 4)     /* R = D, four digits at a time */
        nr = big_mul_add(r, nr, 10000, ((digits[i] * 10 + digits[i + 1]) * 10
                                        + digits[i + 2]) * 10 + digits[i + 3]);
    for (; i < n; i++)
        nr = big_mul_add(r, nr, 10, digits[i]);
    if (scale >= 0) {                   /* Q = 1: R's top 64 bits, and whether any lower is set */
        nr = big_mul_pow5(r, nr, scale);
        shift = (LIMB_BITS - big_bit_length(r, nr) % LIMB_BITS) % LIMB_BITS;
        nr = big_shift_left(r, nr, shift);      /* a full top limb */
        for (i = 1; i <= 4; i++) {
            hi = hi << LIMB_BITS | lo >> LIMB_BITS;
            lo = lo << LIMB_BITS | (nr - i >= 0 ? r[nr - i] : 0);
        }
        for (i = 0; i < nr - 4; i++)
            lo |= r[i] != 0;            /* sticky */
        return round_to(single, sign, hi, lo, scale - shift + LIMB_BITS * (nr - 4) + 63);
    }
    q[0] = 1;
    nq = big_mul_pow5(q, nq, -scale);
    /* line up the leading bits, then make 1 <= R / Q < 2 */
    shift = big_bit_length(r, nr) - big_bit_length(q, nq);
    if (shift > 0)
        nq = big_shift_left(q, nq, shift);
    else
        nr = big_shift_left(r, nr, -shift);
    e2 += shift;
    if (big_compare(r, nr, q, nq) < 0) {
        nr = big_shift_left(r, nr, 1);
        e2--;
    }
    /* long division, one quotient bit per step: 64 bits of R / Q, the first one 1. R < 2Q
     * all along, so R has at most one word more than Q: a zero word on Q's top. */
    nr = big_to_words(r, nr);
    nq = big_to_words(q, nq);
    q[nq] = 0;
    for (i = 0; i < 64; i++) {
        unsigned bit = big_compare(r, nr, q, nq) >= 0;
        nr = big_step(r, nr, q, bit);
        hi = hi << 1 | lo >> 31;
        lo = lo << 1 | bit;
    }
    lo |= nr != 0;                      /* sticky: the remainder is not zero */
    return round_to(single, sign, hi, lo, e2);
}
/* --8<-- [end:strtod_exact] */

/* Does s start with `word` (lower case), in any case? */
static int starts_with(const char *s, const char *word)
{
    for (; *word; s++, word++)
        if (tolower((unsigned char)*s) != *word)
            return 0;
    return 1;
}

/* inf, infinity, nan, nan(letters, digits, _): the length read, or 0 */
static int special_value(const char *p, double *value, unsigned sign)
{
    int n = 0;
    if (starts_with(p, "inf")) {
        *value = from_bits(sign | 0x7FF00000U, 0);
        return starts_with(p, "infinity") ? 8 : 3;
    }
    if (!starts_with(p, "nan"))
        return 0;
    *value = from_bits(sign | 0x7FF80000U, 0);  /* the payload in ( ) is not used */
    if (p[3] == '(') {
        for (n = 4; isalnum((unsigned char)p[n]) || p[n] == '_'; n++)
            ;
        if (p[n] == ')')
            return n + 1;
    }
    return 3;
}

/* The hex digits (with at most one point) and binary exponent at p, after "0x": the nearest
 * double (float when `single`), through the same rounding. The first 64 bits of the digits
 * are kept, the rest only as a sticky bit. */
static double hex_to_double(unsigned sign, const char *p, char **end, int single)
{
    unsigned hi = 0, lo = 0, d;
    int point = 0, negative;
    long e2 = 0, exponent = 0;
    for (;; p++) {
        if (*p == '.' && !point) {
            point = 1;
            continue;
        }
        if (!isxdigit((unsigned char)*p))
            break;
        d = isdigit((unsigned char)*p) ? *p - '0' : (*p | 0x20) - 'a' + 10;
        if (hi >> 28 == 0) {            /* room for 4 more bits */
            hi = hi << 4 | lo >> 28;
            lo = lo << 4 | d;
            e2 -= 4 * point;
        } else {
            lo |= d != 0;
            e2 += 4 * !point;
        }
    }
    if ((*p == 'p' || *p == 'P')
        && (isdigit((unsigned char)p[1])
            || ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
        negative = p[1] == '-';
        for (p += 1 + (p[1] == '+' || p[1] == '-'); isdigit((unsigned char)*p); p++)
            if (exponent < 100000000)
                exponent = exponent * 10 + (*p - '0');
        e2 += negative ? -exponent : exponent;
    }
    if (end)
        *end = (char *)p;
    if ((hi | lo) == 0)
        return from_bits(sign, 0);
    for (; !(hi >> 31); e2--) {         /* the leading 1 to bit 63 */
        hi = hi << 1 | lo >> 31;
        lo <<= 1;
    }
    e2 += 63;                           /* the value is hi:lo * 2^(e2 - 63) */
    if (e2 > 1100 || e2 < -1200)        /* far out of range: saturate, as round would */
        e2 = e2 > 0 ? 1100 : -1200;
    return round_to(single, sign, hi, lo, e2);
}

/* --8<-- [start:strtod] */
/* strtod's reading of the text at s, to the nearest double, or to the nearest float when
 * `single` (strtof) */
static double read_real(const char *s, char **end, int single)
{
    const char *p = s;
    char digits[MAX_DIGITS + 1];
    int n = 0, scale = 0, any = 0, dropped_nonzero = 0, special, point = 0;
    long exponent = 0;
    unsigned sign = 0;
    double value;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '-' || *p == '+')
        sign = *p++ == '-' ? 0x80000000U : 0;
    if ((special = special_value(p, &value, sign)) > 0) {
        if (end)
            *end = (char *)p + special;
        return value;
    }
    if (p[0] == '0' && (p[1] | 0x20) == 'x'
        && (isxdigit((unsigned char)p[2]) || (p[2] == '.' && isxdigit((unsigned char)p[3]))))
        return hex_to_double(sign, p + 2, end, single);
    /* the significand: digits with at most one point; leading zeros are not significant */
    for (;; p++) {
        if (*p == '.' && !point) {
            point = 1;
        } else if (isdigit((unsigned char)*p)) {
            any = 1;
            if (n == 0 && *p == '0') {
                scale -= point;         /* 0.00d: each zero after the point is a place */
            } else if (n < MAX_DIGITS) {
                digits[n++] = *p - '0';
                scale -= point;
            } else {
                dropped_nonzero |= *p != '0';
                scale += !point;        /* a dropped digit before the point is a place */
            }
        } else {
            break;
        }
    }
    if (!any) {                         /* no digits: no number, nothing read */
        if (end)
            *end = (char *)s;
        return 0;
    }
    if ((*p == 'e' || *p == 'E')
        && (isdigit((unsigned char)p[1])
            || ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
        int negative = p[1] == '-';
        for (p += 1 + (p[1] == '+' || p[1] == '-'); isdigit((unsigned char)*p); p++)
            if (exponent < 100000000)   /* far beyond any double: saturate */
                exponent = exponent * 10 + (*p - '0');
        scale += negative ? -exponent : exponent;
    }
    if (end)
        *end = (char *)p;
    if (dropped_nonzero) {              /* a 1 after the kept digits: "a little more" */
        digits[n++] = 1;
        scale--;
    }
    while (n > 0 && digits[n - 1] == 0) {       /* trailing zeros: a smaller D */
        n--;
        scale++;
    }
    if (n == 0)
        return from_bits(sign, 0);
    if (n + scale > 310) {              /* >= 10^310: beyond DBL_MAX, about 1.8e308 */
        errno = ERANGE;
        return from_bits(sign | 0x7FF00000U, 0);
    }
    if (n + scale < -323) {             /* < 10^-324: below half the least subnormal */
        errno = ERANGE;
        return from_bits(sign, 0);
    }
    return decimal_to_double(sign, digits, n, scale, single);
}
/* --8<-- [end:strtod] */

double strtod(const char *s, char **end)
{
    return read_real(s, end, 0);
}

/* C99's strtof: the nearest float to the text, rounded once (not through a double) */
float strtof(const char *s, char **end)
{
    return (float)read_real(s, end, 1);
}

double atof(const char *s)
{
    return strtod(s, NULL);
}
