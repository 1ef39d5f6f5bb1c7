#include "softfloat.h"

/* float (IEEE 754 binary32) arithmetic in integers, under libgcc's names: RV32I has no
 * floating point unit, so the compiler calls these for float's + - * / comparisons and
 * conversions. A float is 1 sign bit, 8 exponent bits E (bias 127) and 23 fraction bits f:
 * 1.f * 2^(E-127) when 0 < E < 255; 0.f * 2^-126 (subnormal) when E = 0; infinity (f = 0) or
 * NaN when E = 255. Results round to nearest, ties to even. A NaN result is the canonical
 * quiet NaN 0x7FC00000, as RISC-V's F extension and libgcc's soft-fp on RISC-V give. */

#define F_EXP(a) ((int)(((a) >> 23) & 0xFF))
#define F_FRAC(a) ((a) & 0x007FFFFFU)
#define F_ABS(a) ((a) & 0x7FFFFFFFU)
#define F_INF 0x7F800000U
#define F_NAN 0x7FC00000U
#define F_IS_NAN(a) (F_ABS(a) > F_INF)

/* --8<-- [start:round_pack32] */
/* The float nearest to sig * 2^(exp - 156), sig's leading 1 at bit 30 for a normal result.
 * exp is one less than the biased exponent: adding sig >> 7, whose leading 1 is bit 23, puts
 * the 1 back, and a rounding that carries into bit 24 raises the exponent by itself. The 7
 * bits below the fraction decide the rounding: over 0x40 up, under down, 0x40 to even. */
unsigned __sf_round_pack32(unsigned sign, int exp, unsigned sig)
{
    unsigned round_bits;
    if ((unsigned)exp >= 0xFD) {
        if (exp < 0) {                          /* below the normal range: subnormal */
            sig = __sf_shr32_jam(sig, -exp);
            exp = 0;
        } else if (exp > 0xFD || sig + 0x40 >= 0x80000000U) {
            return sign | F_INF;                /* too large: overflow to infinity */
        }
    }
    round_bits = sig & 0x7F;
    sig = (sig + 0x40) >> 7;
    if (round_bits == 0x40)
        sig &= ~1U;                             /* a tie: round to even */
    if (sig == 0)
        exp = 0;
    return sign | (((unsigned)exp << 23) + sig);
}
/* --8<-- [end:round_pack32] */

/* A finite nonzero float's significand with its leading 1 at bit 23 (subnormals shifted up)
 * and the matching exponent: the value is *sig * 2^(exp - 150). */
static int unpack32(unsigned a, unsigned *sig)
{
    int shift;
    if (F_EXP(a) != 0) {
        *sig = F_FRAC(a) | 0x00800000U;
        return F_EXP(a);
    }
    shift = __sf_clz32(F_FRAC(a)) - 8;
    *sig = F_FRAC(a) << shift;
    return 1 - shift;
}

/* --8<-- [start:addsf3] */
unsigned __addsf3(unsigned a, unsigned b)
{
    unsigned sign, sig_a, sig_b, t;
    int exp_a, exp_b, shift;
    if (F_IS_NAN(a) || F_IS_NAN(b))
        return F_NAN;
    if (F_EXP(a) == 0xFF)                       /* inf + -inf has no value */
        return F_EXP(b) == 0xFF && (a ^ b) & SIGN ? F_NAN : a;
    if (F_EXP(b) == 0xFF)
        return b;
    if (F_ABS(a) == 0)                          /* -0 + -0 is -0; +0 + -0 is +0 */
        return F_ABS(b) == 0 ? a & b : b;
    if (F_ABS(b) == 0)
        return a;
    if (F_ABS(a) < F_ABS(b)) {                  /* let a be the larger in magnitude */
        t = a;
        a = b;
        b = t;
    }
    sign = a & SIGN;
    exp_a = F_EXP(a);                           /* a subnormal counts as exponent 1 */
    exp_b = F_EXP(b);
    sig_a = exp_a ? F_FRAC(a) | 0x00800000U : F_FRAC(a);
    sig_b = exp_b ? F_FRAC(b) | 0x00800000U : F_FRAC(b);
    exp_a += exp_a == 0;
    exp_b += exp_b == 0;
    /* 6 more bits below the fraction, then line b up with a; the bits b loses leave a
     * sticky 1, which keeps the rounding right (even for a subtraction: it makes the
     * difference odd, so never a false tie) */
    sig_a <<= 6;
    sig_b = __sf_shr32_jam(sig_b << 6, exp_a - exp_b);
    if ((a ^ b) & SIGN) {
        sig_a -= sig_b;
        if (sig_a == 0)
            return 0;                           /* x - x is +0 when rounding to nearest */
    } else {
        sig_a += sig_b;
    }
    shift = __sf_clz32(sig_a) - 1;              /* the leading 1 to bit 30 */
    return __sf_round_pack32(sign, exp_a - shift, sig_a << shift);
}
/* --8<-- [end:addsf3] */

unsigned __subsf3(unsigned a, unsigned b)
{
    return __addsf3(a, b ^ SIGN);
}

unsigned __negsf2(unsigned a)
{
    return a ^ SIGN;
}

unsigned __mulsf3(unsigned a, unsigned b)
{
    unsigned sign = (a ^ b) & SIGN, sig_a, sig_b, sig;
    int exp;
    Bits64 product;
    if (F_IS_NAN(a) || F_IS_NAN(b))
        return F_NAN;
    if (F_EXP(a) == 0xFF || F_EXP(b) == 0xFF)   /* infinity times zero has no value */
        return F_ABS(a) == 0 || F_ABS(b) == 0 ? F_NAN : sign | F_INF;
    if (F_ABS(a) == 0 || F_ABS(b) == 0)
        return sign;
    exp = unpack32(a, &sig_a) + unpack32(b, &sig_b) - 0x7F;
    /* leading 1s at bits 30 and 31: the product's is at bit 61 or 62 */
    product = __sf_mul32(sig_a << 7, sig_b << 8);
    sig = product.hi | (product.lo != 0);
    if (sig < 0x40000000U) {
        exp--;
        sig <<= 1;
    }
    return __sf_round_pack32(sign, exp, sig);
}

unsigned __divsf3(unsigned a, unsigned b)
{
    unsigned sign = (a ^ b) & SIGN, sig_a, sig_b, quotient = 0;
    int exp, i;
    if (F_IS_NAN(a) || F_IS_NAN(b))
        return F_NAN;
    if (F_EXP(a) == 0xFF)                       /* inf / inf has no value; inf / x is inf */
        return F_EXP(b) == 0xFF ? F_NAN : sign | F_INF;
    if (F_EXP(b) == 0xFF)
        return sign;
    if (F_ABS(b) == 0)                          /* 0 / 0 has no value; x / 0 is inf */
        return F_ABS(a) == 0 ? F_NAN : sign | F_INF;
    if (F_ABS(a) == 0)
        return sign;
    exp = unpack32(a, &sig_a) - unpack32(b, &sig_b) + 0x7E;
    if (sig_a < sig_b) {                        /* so that the quotient is in [1, 2) */
        sig_a <<= 1;
        exp--;
    }
    /* long division, a quotient bit at a time: 31 bits, the leading 1 at bit 30 */
    for (i = 0; i < 31; i++) {
        quotient <<= 1;
        if (sig_a >= sig_b) {
            sig_a -= sig_b;
            quotient |= 1;
        }
        sig_a <<= 1;
    }
    return __sf_round_pack32(sign, exp, quotient | (sig_a != 0));  /* remainder: sticky */
}

/* -1, 0 or 1 as a <, == or > b; 2 when either is a NaN (unordered) */
static int compare32(unsigned a, unsigned b)
{
    if (F_IS_NAN(a) || F_IS_NAN(b))
        return 2;
    if (F_ABS(a | b) == 0)
        return 0;                               /* +0 == -0 */
    if ((a ^ b) & SIGN)
        return a & SIGN ? -1 : 1;
    if (a == b)
        return 0;
    return (a < b) != ((a & SIGN) != 0) ? -1 : 1;   /* negatives order backwards */
}

/* libgcc's contract: each result compared with 0 as the operator says gives the answer, and
 * a NaN makes it false (0 only for ==; positive for < and <=; negative for > and >=). */
int __eqsf2(unsigned a, unsigned b) { return compare32(a, b) != 0; }
int __nesf2(unsigned a, unsigned b) { return compare32(a, b) != 0; }
int __ltsf2(unsigned a, unsigned b) { int c = compare32(a, b); return c == 2 ? 1 : c; }
int __lesf2(unsigned a, unsigned b) { int c = compare32(a, b); return c == 2 ? 1 : c; }
int __gtsf2(unsigned a, unsigned b) { int c = compare32(a, b); return c == 2 ? -1 : c; }
int __gesf2(unsigned a, unsigned b) { int c = compare32(a, b); return c == 2 ? -1 : c; }
int __unordsf2(unsigned a, unsigned b) { return F_IS_NAN(a) || F_IS_NAN(b); }

/* float -> int truncates toward zero. Out of range (undefined in C) it saturates and a NaN
 * gives INT_MAX, as RISC-V's fcvt.w.s does. */
int __fixsfsi(unsigned a)
{
    int exp = F_EXP(a);
    unsigned sig = F_FRAC(a) | 0x00800000U, magnitude;
    if (F_IS_NAN(a))
        return 0x7FFFFFFF;
    if (exp < 127)
        return 0;                               /* |a| < 1 */
    if (exp >= 127 + 31)                        /* |a| >= 2^31: only -2^31 fits */
        return a & SIGN ? (int)0x80000000U : 0x7FFFFFFF;
    magnitude = exp >= 150 ? sig << (exp - 150) : sig >> (150 - exp);
    return a & SIGN ? -(int)magnitude : (int)magnitude;
}

/* float -> unsigned: negative values give 0, too large or NaN UINT_MAX (fcvt.wu.s) */
unsigned __fixunssfsi(unsigned a)
{
    int exp = F_EXP(a);
    unsigned sig = F_FRAC(a) | 0x00800000U;
    if (F_IS_NAN(a))
        return 0xFFFFFFFFU;
    if (exp < 127 || a & SIGN)
        return 0;
    if (exp >= 127 + 32)
        return 0xFFFFFFFFU;
    return exp >= 150 ? sig << (exp - 150) : sig >> (150 - exp);
}

/* unsigned -> float, rounded when it has more than 24 significant bits */
unsigned __floatunsisf(unsigned i)
{
    int shift;
    if (i == 0)
        return 0;
    shift = __sf_clz32(i);                      /* the leading 1 to bit 30, with a sticky bit */
    return __sf_round_pack32(0, 157 - shift, __sf_shr32_jam(i << shift, 1));
}

unsigned __floatsisf(int i)
{
    unsigned magnitude = i < 0 ? 0U - (unsigned)i : (unsigned)i;
    return __floatunsisf(magnitude) | (i < 0 ? SIGN : 0);
}
