/* softfloat.h: what the soft-float files share (internal to the library, not a user header).
 *
 * A float travels as its 32 bits in an unsigned int, a double as a Bits64 {lo, hi}: under the
 * ilp32 soft-float ABI a float is passed in one integer register and a double in a register
 * pair, low word first, and a struct of two words travels exactly so. The same struct serves
 * as the 64-bit unsigned integer the double routines compute with: C89 has no long long. */
#ifndef _SOFTFLOAT_H
#define _SOFTFLOAT_H

typedef struct {
    unsigned lo, hi;
} Bits64;

#define SIGN 0x80000000U

/* 64-bit unsigned arithmetic on Bits64 (softfloat_wide.c) */
Bits64 __sf_make64(unsigned hi, unsigned lo);
Bits64 __sf_add64(Bits64 a, Bits64 b);
Bits64 __sf_sub64(Bits64 a, Bits64 b);
Bits64 __sf_shl64(Bits64 a, int n);
Bits64 __sf_shr64(Bits64 a, int n);
Bits64 __sf_shr64_jam(Bits64 a, int n);
int __sf_lt64(Bits64 a, Bits64 b);
int __sf_clz32(unsigned a);
int __sf_clz64(Bits64 a);
unsigned __sf_shr32_jam(unsigned a, int n);
Bits64 __sf_mul32(unsigned a, unsigned b);
Bits64 __sf_mul64_high_jam(Bits64 a, Bits64 b);

/* the float rounding step, shared with the double-to-float conversion (softfloat_sf.c) */
unsigned __sf_round_pack32(unsigned sign, int exp, unsigned sig);

/* printf's digits of a double (printf_float.c). Past 1074 places after the point (%f) or 767
 * significant digits (%e) every digit of a double is 0, so precisions up to FORMAT_PRECISION
 * are formatted in full and the zeros of a longer one are added by printf.c. */
#define FORMAT_PRECISION 1100
int __sf_format_double(char *out, Bits64 v, int conversion, int precision, int alt);

#endif
