// float32 exp and tanh the compiler can inline and vectorize (libm's are opaque calls).
// exp: x = k ln2 + r with |r| <= ln2/2 (ln2 split in two parts, Cody-Waite), e^r by its Taylor
// polynomial to r^7 (truncation < 2e-9 relative), 2^k built in two halves so that results down
// in the subnormals come out right. About 2 ulp. NaN in, NaN out; overflow gives inf.
// --8<-- [start:exp_f32]
static inline float ln2_reduce(float x, float* r) {  // k = rint(x / ln2), *r = x - k ln2
  float k = rintf(x * 1.44269504088896341f);
  k = k < -152.0f ? -152.0f : k > 128.0f ? 128.0f : k;  // (fminf/fmaxf do not vectorize)
  *r = fmaf(k, -1.428606765330187e-06f, fmaf(k, -0.693145751953125f, x));
  return k;
}

static inline float expm1_tail(float r) {  // (e^r - 1 - r) / r^2 by Taylor to r^7, Horner
  float p = 1.0f / 5040.0f;
  p = fmaf(p, r, 1.0f / 720.0f);
  p = fmaf(p, r, 1.0f / 120.0f);
  p = fmaf(p, r, 1.0f / 24.0f);
  p = fmaf(p, r, 1.0f / 6.0f);
  return fmaf(p, r, 0.5f);
}

static inline float exp_f32(float x) {
  float r, k = ln2_reduce(x, &r);
  float p = fmaf(fmaf(expm1_tail(r), r, 1.0f), r, 1.0f);  // e^r
  int k1 = (int)k / 2, k2 = (int)k - k1;  // each half within a float's exponent range
  union { int i; float f; } s1 = {(k1 + 127) << 23}, s2 = {(k2 + 127) << 23};
  float y = p * s1.f * s2.f;
  y = x < -104.0f ? 0.0f : y;
  return x > 88.72283935546875f ? INFINITY : x != x ? x : y;
}
// --8<-- [end:exp_f32]

// tanh: e / (e + 2) with e = e^(2|x|) - 1, the sign put back. e^t - 1 as exp_f32 computes e^t,
// with 2^k (e^r - 1) + (2^k - 1) in place of 2^k e^r: for t >= 0 every term is >= 0, so nothing
// cancels near 0, where 1 - 2 / (e^t + 1) would lose all the digits of a small result. Past
// |x| = 10 tanh is 1 in float. At most 2.42 ulp (measured against double on every float
// when written); the tests check dense grids against the bound derived from the steps, 5.2 ulp.
static inline float tanh_f32(float x) {
  float a = fabsf(x);
  a = a > 10.0f ? 10.0f : a;
  float r, k = ln2_reduce(2.0f * a, &r);
  float p = fmaf(expm1_tail(r), r * r, r);  // e^r - 1
  union { int i; float f; } s = {((int)k + 127) << 23};  // 2^k, k <= 29
  float e = fmaf(s.f, p, s.f - 1.0f);
  return copysignf(e / (e + 2.0f), x);
}

// sqrt: libm's sqrtf may set errno, so gcc keeps it a call and no loop around it vectorizes
// (an AdamW step's). 1/sqrt(x) in double from a bit trick (about 3.5%), four Newton steps
// (each squares the relative error), then x * that rounded once to float: correctly rounded
// for every float (compared with sqrtf on all 2^32 of them when written; the tests compare
// every float of [1, 4), which covers all: scaling x by 4 scales each step exactly). Special
// inputs are put right by bit masks, not selects, which gcc would turn into branches around the
// arithmetic.
// --8<-- [start:sqrt_f32]
static inline float sqrt_f32(float x) {
  double d = x, y;
  unsigned long i, bits;
  __builtin_memcpy(&i, &d, 8);
  i = 0x5fe6eb50c7b537a9UL - (i >> 1);
  __builtin_memcpy(&y, &i, 8);
  y = y * (1.5 - 0.5 * d * y * y);
  y = y * (1.5 - 0.5 * d * y * y);
  y = y * (1.5 - 0.5 * d * y * y);
  y = y * (1.5 - 0.5 * d * y * y);
  double s = d * y;  // 0 and -0 come out as they went in, NaN as NaN
  unsigned long inf = -(unsigned long)(x == INFINITY), neg = -(unsigned long)(x < 0.0f);
  __builtin_memcpy(&bits, &s, 8);
  bits = (bits & ~(inf | neg)) | (0x7ff0000000000000UL & inf) | (0x7ff8000000000000UL & neg);
  __builtin_memcpy(&s, &bits, 8);
  return (float)s;
}
// --8<-- [end:sqrt_f32]
