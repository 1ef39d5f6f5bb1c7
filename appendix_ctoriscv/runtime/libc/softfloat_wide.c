#include "softfloat.h"

/* 64-bit unsigned arithmetic out of 32-bit words, for the double routines. "jam" shifts keep
 * a sticky bit: any 1 shifted out sets bit 0, so rounding later still knows the value was
 * not exact. */

Bits64 __sf_make64(unsigned hi, unsigned lo)
{
    Bits64 r;
    r.hi = hi;
    r.lo = lo;
    return r;
}

Bits64 __sf_add64(Bits64 a, Bits64 b)
{
    Bits64 r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo);         /* the carry out of the low word */
    return r;
}

Bits64 __sf_sub64(Bits64 a, Bits64 b)
{
    Bits64 r;
    r.lo = a.lo - b.lo;
    r.hi = a.hi - b.hi - (a.lo < b.lo);         /* the borrow */
    return r;
}

Bits64 __sf_shl64(Bits64 a, int n)
{
    if (n == 0)
        return a;
    if (n >= 32)
        return __sf_make64(n >= 64 ? 0 : a.lo << (n - 32), 0);
    return __sf_make64(a.hi << n | a.lo >> (32 - n), a.lo << n);
}

Bits64 __sf_shr64(Bits64 a, int n)
{
    if (n == 0)
        return a;
    if (n >= 32)
        return __sf_make64(0, n >= 64 ? 0 : a.hi >> (n - 32));
    return __sf_make64(a.hi >> n, a.hi << (32 - n) | a.lo >> n);
}

Bits64 __sf_shr64_jam(Bits64 a, int n)
{
    unsigned lost;
    if (n == 0)
        return a;
    if (n >= 64)
        return __sf_make64(0, (a.hi | a.lo) != 0);
    if (n >= 32) {
        lost = a.lo | (n > 32 ? a.hi << (64 - n) : 0);
        return __sf_make64(0, (n > 32 ? a.hi >> (n - 32) : a.hi) | (lost != 0));
    }
    lost = a.lo << (32 - n);
    return __sf_make64(a.hi >> n, (a.hi << (32 - n) | a.lo >> n) | (lost != 0));
}

unsigned __sf_shr32_jam(unsigned a, int n)
{
    if (n == 0)
        return a;
    if (n >= 32)
        return a != 0;
    return a >> n | ((a << (32 - n)) != 0);
}

int __sf_lt64(Bits64 a, Bits64 b)
{
    return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
}

/* leading zeros by halving: 5 steps rather than up to 31 */
int __sf_clz32(unsigned a)
{
    int n = 0;
    if (a == 0)
        return 32;
    if (a < 0x10000) {
        n += 16;
        a <<= 16;
    }
    if (a < 0x1000000) {
        n += 8;
        a <<= 8;
    }
    if (a < 0x10000000) {
        n += 4;
        a <<= 4;
    }
    if (a < 0x40000000) {
        n += 2;
        a <<= 2;
    }
    if (a < 0x80000000U)
        n += 1;
    return n;
}

int __sf_clz64(Bits64 a)
{
    return a.hi ? __sf_clz32(a.hi) : 32 + __sf_clz32(a.lo);
}

/* --8<-- [start:mul32] */
/* a * b in full: four 16 x 16 -> 32-bit products, added in place */
Bits64 __sf_mul32(unsigned a, unsigned b)
{
    unsigned a0 = a & 0xFFFF, a1 = a >> 16, b0 = b & 0xFFFF, b1 = b >> 16;
    unsigned low = a0 * b0, middle = a0 * b1, middle2 = a1 * b0, high = a1 * b1;
    middle += middle2;
    high += (unsigned)(middle < middle2) << 16;    /* the middle sum's carry is worth 2^48 */
    high += middle >> 16;
    middle <<= 16;
    low += middle;
    high += low < middle;
    return __sf_make64(high, low);
}
/* --8<-- [end:mul32] */

/* The high 64 bits of the 128-bit a * b, with the low 64 as a sticky bit. */
Bits64 __sf_mul64_high_jam(Bits64 a, Bits64 b)
{
    Bits64 ll = __sf_mul32(a.lo, b.lo), lh = __sf_mul32(a.lo, b.hi);
    Bits64 hl = __sf_mul32(a.hi, b.lo), hh = __sf_mul32(a.hi, b.hi);
    Bits64 middle = __sf_add64(lh, hl);
    unsigned middle_carry = __sf_lt64(middle, lh);          /* worth 2^96 */
    unsigned word1 = ll.hi + middle.lo;                     /* bits 32..63 of the product */
    Bits64 high = __sf_add64(hh, __sf_make64(middle_carry, middle.hi));
    high = __sf_add64(high, __sf_make64(0, word1 < ll.hi));
    high.lo |= (word1 | ll.lo) != 0;
    return high;
}
