// exp and tanh for float32 that the compiler can vectorize: no calls, no branches, no errno.
//
// libm's expf is one call per element, which a compiler will not turn into SIMD unless
// -ffast-math lets it use a vector math library (and we refuse -ffast-math: see ops_c.py).
// These are plain arithmetic, so a loop over them vectorizes like a loop over a + b. Accuracy
// against the exact value: within 1.1 ulp for exp, 1.5 ulp for tanh (tests allow 4); NaN, inf
// and -0.0 behave as in libm. Polynomials from Cephes (S. Moshier), as in most SIMD libraries.

#include <math.h>
#include <stdint.h>
#include <string.h>

// 2^n for an integral n in [-126, 127], built from its exponent bits
static inline float pow2_int(float n) {
    int32_t bits = ((int32_t)n + 127) << 23;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// --8<-- [start:exp_poly]
// exp(x) = 2^n * exp(r): n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2], where a
// degree-7 polynomial is accurate to float precision. ln 2 is split in two (C1 + C2) so n*C1
// is exact and r loses nothing; 2^n is applied as 2^n1 * 2^(n-n1) to reach the subnormals.
static inline float exp_poly(float x) {
    float xc = x > 89.0f ? 89.0f : x < -104.0f ? -104.0f : x;  // past these: inf and 0; NaN stays
    float n = rintf(xc * 1.44269504088896341f);
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    p = p * r * r + r + 1.0f;
    n = xc == xc ? n : 0.0f;  // NaN: p is NaN already; keep the integer conversion defined
    float n1 = rintf(n * 0.5f);
    return p * pow2_int(n1) * pow2_int(n - n1);
}
// --8<-- [end:exp_poly]

// tanh(x): an odd polynomial below |x| = 0.625 (1 - 2/(e^2x + 1) would cancel there), else
// 1 - 2 / (exp(2|x|) + 1) with x's sign. Both are computed and one is kept: no branch.
static inline float tanh_poly(float x) {
    float ax = fabsf(x), z = x * x;
    float p = -5.70498872745E-3f;
    p = p * z + 2.06390887954E-2f;
    p = p * z - 5.37397155531E-2f;
    p = p * z + 1.33314422036E-1f;
    p = p * z - 3.33332819422E-1f;
    float small = copysignf(p * z * x + x, x);  // copysign keeps tanh(-0.0) = -0.0
    float big = copysignf(1.0f - 2.0f / (exp_poly(2.0f * ax) + 1.0f), x);
    return ax < 0.625f ? small : big;
}

// exp and tanh for either float type: the polynomials for float, libm for double
#define VEXP(x) _Generic((x), float: exp_poly, default: exp)(x)
#define VTANH(x) _Generic((x), float: tanh_poly, default: tanh)(x)
