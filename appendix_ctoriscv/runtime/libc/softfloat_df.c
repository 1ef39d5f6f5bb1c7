#include "softfloat.h"

/* double (IEEE 754 binary64) arithmetic in integers, as softfloat_sf.c does float's, on
 * Bits64 words: 1 sign bit, 11 exponent bits (bias 1023), 52 fraction bits, all in `hi` but
 * the fraction's low 32 bits. The algorithms are float's with wider numbers: the significand
 * keeps 10 bits below the fraction, its leading 1 at bit 62. Also the conversions between
 * float and double. */

#define D_EXP(a) ((int)(((a).hi >> 20) & 0x7FF))
#define D_ABS_HI(a) ((a).hi & 0x7FFFFFFFU)
#define D_IS_ZERO(a) (D_ABS_HI(a) == 0 && (a).lo == 0)
#define D_IS_NAN(a) (D_ABS_HI(a) > 0x7FF00000U || (D_ABS_HI(a) == 0x7FF00000U && (a).lo))
#define D_INF_HI 0x7FF00000U
#define D_NAN_HI 0x7FF80000U

static Bits64 bits(unsigned hi, unsigned lo)
{
    return __sf_make64(hi, lo);
}

/* the fraction, with the implicit 1 (bit 52) when the number is normal */
static Bits64 significand64(Bits64 a)
{
    return bits((a.hi & 0x000FFFFFU) | (D_EXP(a) ? 0x00100000U : 0), a.lo);
}

/* --8<-- [start:round_pack64] */
/* The double nearest to (hi:lo) * 2^(exp - 1084), the leading 1 at bit 62 (bit 30 of hi) for
 * a normal result: float's __sf_round_pack32 with 10 rounding bits (0x200 is the half). The
 * 64-bit significand stays in two scalars here, not a Bits64, so that it lives in registers. */
static Bits64 round_pack64(unsigned sign, int exp, unsigned hi, unsigned lo)
{
    unsigned round_bits;
    if ((unsigned)exp >= 0x7FD) {
        if (exp < 0) {
            Bits64 sig = __sf_shr64_jam(bits(hi, lo), -exp);
            hi = sig.hi;
            lo = sig.lo;
            exp = 0;
        } else if (exp > 0x7FD || (hi == 0x7FFFFFFFU && lo >= 0xFFFFFE00U)) {
            return bits(sign | D_INF_HI, 0);    /* rounding would reach 2^63: overflow */
        }
    }
    round_bits = lo & 0x3FF;
    lo += 0x200;
    hi += lo < 0x200;                           /* the carry into the high word */
    lo = lo >> 10 | hi << 22;
    hi >>= 10;
    if (round_bits == 0x200)
        lo &= ~1U;                              /* a tie: round to even */
    if ((hi | lo) == 0)
        exp = 0;
    return bits(sign | (((unsigned)exp << 20) + hi), lo);
}
/* --8<-- [end:round_pack64] */

/* a finite nonzero double's significand, leading 1 at bit 52, and its exponent: the value
 * is *sig * 2^(exp - 1075) */
static int unpack64(Bits64 a, Bits64 *sig)
{
    int shift;
    *sig = significand64(a);
    if (D_EXP(a) != 0)
        return D_EXP(a);
    shift = __sf_clz64(*sig) - 11;
    *sig = __sf_shl64(*sig, shift);
    return 1 - shift;
}

Bits64 __adddf3(Bits64 a, Bits64 b)
{
    unsigned sign, a_hi, a_lo, b_hi, b_lo, borrow;
    Bits64 t;
    int exp_a, exp_b, shift;
    if (D_IS_NAN(a) || D_IS_NAN(b))
        return bits(D_NAN_HI, 0);
    if (D_EXP(a) == 0x7FF)
        return D_EXP(b) == 0x7FF && (a.hi ^ b.hi) & SIGN ? bits(D_NAN_HI, 0) : a;
    if (D_EXP(b) == 0x7FF)
        return b;
    if (D_IS_ZERO(a))
        return D_IS_ZERO(b) ? bits(a.hi & b.hi, 0) : b;
    if (D_IS_ZERO(b))
        return a;
    if (D_ABS_HI(a) < D_ABS_HI(b) || (D_ABS_HI(a) == D_ABS_HI(b) && a.lo < b.lo)) {
        t = a;
        a = b;
        b = t;
    }
    sign = a.hi & SIGN;
    exp_a = D_EXP(a) + (D_EXP(a) == 0);
    exp_b = D_EXP(b) + (D_EXP(b) == 0);
    /* the significands with 9 bits more (the leading 1 at bit 61), as two words */
    a_hi = (a.hi & 0x000FFFFFU) | (D_EXP(a) ? 0x00100000U : 0);
    b_hi = (b.hi & 0x000FFFFFU) | (D_EXP(b) ? 0x00100000U : 0);
    a_hi = a_hi << 9 | a.lo >> 23;
    a_lo = a.lo << 9;
    b_hi = b_hi << 9 | b.lo >> 23;
    b_lo = b.lo << 9;
    if (exp_a != exp_b) {                       /* line b up with a, keeping a sticky bit */
        t = __sf_shr64_jam(bits(b_hi, b_lo), exp_a - exp_b);
        b_hi = t.hi;
        b_lo = t.lo;
    }
    if ((a.hi ^ b.hi) & SIGN) {
        borrow = a_lo < b_lo;
        a_lo -= b_lo;
        a_hi -= b_hi + borrow;
        if ((a_hi | a_lo) == 0)
            return bits(0, 0);
    } else {
        a_lo += b_lo;
        a_hi += b_hi + (a_lo < b_lo);
    }
    shift = (a_hi ? __sf_clz32(a_hi) : 32 + __sf_clz32(a_lo)) - 1;     /* leading 1 to 62 */
    if (shift >= 32) {
        a_hi = a_lo << (shift - 32);
        a_lo = 0;
    } else if (shift > 0) {
        a_hi = a_hi << shift | a_lo >> (32 - shift);
        a_lo <<= shift;
    }
    return round_pack64(sign, exp_a - shift, a_hi, a_lo);
}

Bits64 __subdf3(Bits64 a, Bits64 b)
{
    b.hi ^= SIGN;
    return __adddf3(a, b);
}

Bits64 __negdf2(Bits64 a)
{
    a.hi ^= SIGN;
    return a;
}

Bits64 __muldf3(Bits64 a, Bits64 b)
{
    unsigned sign = (a.hi ^ b.hi) & SIGN;
    Bits64 sig_a, sig_b, sig;
    int exp;
    if (D_IS_NAN(a) || D_IS_NAN(b))
        return bits(D_NAN_HI, 0);
    if (D_EXP(a) == 0x7FF || D_EXP(b) == 0x7FF)
        return D_IS_ZERO(a) || D_IS_ZERO(b) ? bits(D_NAN_HI, 0) : bits(sign | D_INF_HI, 0);
    if (D_IS_ZERO(a) || D_IS_ZERO(b))
        return bits(sign, 0);
    exp = unpack64(a, &sig_a) + unpack64(b, &sig_b) - 0x3FF;
    sig = __sf_mul64_high_jam(__sf_shl64(sig_a, 10), __sf_shl64(sig_b, 11));
    if (sig.hi < 0x40000000U) {
        exp--;
        sig = __sf_shl64(sig, 1);
    }
    return round_pack64(sign, exp, sig.hi, sig.lo);
}

Bits64 __divdf3(Bits64 a, Bits64 b)
{
    unsigned sign = (a.hi ^ b.hi) & SIGN, r_hi, r_lo, b_hi, b_lo, q_hi = 0, q_lo = 0;
    Bits64 sig_a, sig_b;
    int exp, i;
    if (D_IS_NAN(a) || D_IS_NAN(b))
        return bits(D_NAN_HI, 0);
    if (D_EXP(a) == 0x7FF)
        return D_EXP(b) == 0x7FF ? bits(D_NAN_HI, 0) : bits(sign | D_INF_HI, 0);
    if (D_EXP(b) == 0x7FF)
        return bits(sign, 0);
    if (D_IS_ZERO(b))
        return D_IS_ZERO(a) ? bits(D_NAN_HI, 0) : bits(sign | D_INF_HI, 0);
    if (D_IS_ZERO(a))
        return bits(sign, 0);
    exp = unpack64(a, &sig_a) - unpack64(b, &sig_b) + 0x3FE;
    if (__sf_lt64(sig_a, sig_b)) {
        sig_a = __sf_shl64(sig_a, 1);
        exp--;
    }
    r_hi = sig_a.hi;                            /* the remainder, in two scalars */
    r_lo = sig_a.lo;
    b_hi = sig_b.hi;
    b_lo = sig_b.lo;
    for (i = 0; i < 63; i++) {                  /* 63 quotient bits, the leading 1 at bit 62 */
        q_hi = q_hi << 1 | q_lo >> 31;
        q_lo <<= 1;
        if (r_hi > b_hi || (r_hi == b_hi && r_lo >= b_lo)) {
            r_hi -= b_hi + (r_lo < b_lo);       /* the borrow, before r_lo changes */
            r_lo -= b_lo;
            q_lo |= 1;
        }
        r_hi = r_hi << 1 | r_lo >> 31;
        r_lo <<= 1;
    }
    return round_pack64(sign, exp, q_hi, q_lo | ((r_hi | r_lo) != 0));
}

static int compare64(Bits64 a, Bits64 b)
{
    int a_below;
    if (D_IS_NAN(a) || D_IS_NAN(b))
        return 2;
    if (D_IS_ZERO(a) && D_IS_ZERO(b))
        return 0;
    if ((a.hi ^ b.hi) & SIGN)
        return a.hi & SIGN ? -1 : 1;
    if (a.hi == b.hi && a.lo == b.lo)
        return 0;
    a_below = __sf_lt64(a, b);
    return a_below != ((a.hi & SIGN) != 0) ? -1 : 1;
}

int __eqdf2(Bits64 a, Bits64 b) { return compare64(a, b) != 0; }
int __nedf2(Bits64 a, Bits64 b) { return compare64(a, b) != 0; }
int __ltdf2(Bits64 a, Bits64 b) { int c = compare64(a, b); return c == 2 ? 1 : c; }
int __ledf2(Bits64 a, Bits64 b) { int c = compare64(a, b); return c == 2 ? 1 : c; }
int __gtdf2(Bits64 a, Bits64 b) { int c = compare64(a, b); return c == 2 ? -1 : c; }
int __gedf2(Bits64 a, Bits64 b) { int c = compare64(a, b); return c == 2 ? -1 : c; }
int __unorddf2(Bits64 a, Bits64 b) { return D_IS_NAN(a) || D_IS_NAN(b); }

/* the magnitude of a double in [1, 2^32), truncated; exp is its biased exponent */
static unsigned truncate64(Bits64 a, int exp)
{
    return __sf_shr64(significand64(a), 1075 - exp).lo;
}

int __fixdfsi(Bits64 a)
{
    int exp = D_EXP(a);
    unsigned magnitude;
    if (D_IS_NAN(a))
        return 0x7FFFFFFF;
    if (exp < 1023)
        return 0;
    if (exp >= 1023 + 31)
        return a.hi & SIGN ? (int)0x80000000U : 0x7FFFFFFF;
    magnitude = truncate64(a, exp);
    return a.hi & SIGN ? -(int)magnitude : (int)magnitude;
}

unsigned __fixunsdfsi(Bits64 a)
{
    int exp = D_EXP(a);
    if (D_IS_NAN(a))
        return 0xFFFFFFFFU;
    if (exp < 1023 || a.hi & SIGN)
        return 0;
    if (exp >= 1023 + 32)
        return 0xFFFFFFFFU;
    return truncate64(a, exp);
}

/* int -> double is exact: 32 bits fit in 53 */
Bits64 __floatunsidf(unsigned i)
{
    int shift;
    if (i == 0)
        return bits(0, 0);
    shift = __sf_clz32(i);
    i <<= shift;                                /* the leading 1 to bit 31 of i, 62 of all */
    return round_pack64(0, 1053 - shift, i >> 1, i << 31);
}

Bits64 __floatsidf(int i)
{
    Bits64 r = __floatunsidf(i < 0 ? 0U - (unsigned)i : (unsigned)i);
    r.hi |= i < 0 ? SIGN : 0;
    return r;
}

/* float -> double is exact: every float is a double */
Bits64 __extendsfdf2(unsigned a)
{
    unsigned sign = a & SIGN, frac = a & 0x007FFFFFU;
    int exp = (a >> 23) & 0xFF, shift;
    if (exp == 0xFF)
        return frac ? bits(D_NAN_HI, 0) : bits(sign | D_INF_HI, 0);
    if (exp == 0) {
        if (frac == 0)
            return bits(sign, 0);
        shift = __sf_clz32(frac) - 8;           /* a subnormal float is a normal double */
        frac = (frac << shift) & 0x007FFFFFU;
        exp = 1 - shift;
    }
    return bits(sign | (unsigned)(exp + 1023 - 127) << 20 | frac >> 3, frac << 29);
}

/* double -> float rounds: the significand to 31 bits (leading 1 at bit 30), then float's
 * rounding, which also makes subnormals, zeros and infinities */
unsigned __truncdfsf2(Bits64 a)
{
    unsigned sign = a.hi & SIGN;
    Bits64 sig;
    if (D_IS_NAN(a))
        return 0x7FC00000U;
    if (D_EXP(a) == 0x7FF)
        return sign | 0x7F800000U;
    if (D_EXP(a) == 0)
        return sign;                            /* zero, or far below the least float */
    sig = __sf_shr64_jam(significand64(a), 22);
    return __sf_round_pack32(sign, D_EXP(a) - 897, sig.lo);
}
