// Elementwise kernels of device "c": unary, binary, where and copy (with a cast), strided.
//
// Shapes: every operand has out's shape (broadcast dims have stride 0); see strided.h for the
// layout `meta`. One C function per (op, dtype), named <op>_<dtype>: add_f32, cmplt_i64 (out
// is bool), copy_f32_i64 (float32 in, int64 out). The macros below write one loop each; the
// lines after them list which ops exist for which dtypes, as ch2's cpu device does.
// NaN and inf follow IEEE and numpy: no -ffast-math.

#include "strided.h"
#include "vmath.h"
#include <tgmath.h>  // exp(x) is expf for a float x, exp for a double

#define CHUNK 8192  // elements per OpenMP task: rows are cut into chunks so 1-d work splits too

// --8<-- [start:unary]
// out[i] = EXPR(a), a = x[i]. Threads take chunks of rows; the unit-stride case is a separate
// loop so the compiler can vectorize it.
#define UNARY(NAME, TI, TO, EXPR)                                                             \
    void NAME(TO *out, const TI *x, const int64_t *meta) {                                    \
        int64_t nd = NDIM(meta), n = SHAPE(meta)[nd - 1], rows = n_rows(meta);                \
        int64_t so = STRIDES(meta, 0)[nd - 1], sx = STRIDES(meta, 1)[nd - 1];                 \
        int64_t chunks = (n + CHUNK - 1) / CHUNK;                                             \
        _Pragma("omp parallel for if (rows * n >= 262144)")                                    \
        for (int64_t t = 0; t < rows * chunks; t++) {                                         \
            int64_t off[2], j0 = t % chunks * CHUNK, j1 = j0 + CHUNK < n ? j0 + CHUNK : n;    \
            row_offsets(meta, 2, t / chunks, off);                                            \
            TO *o = out + off[0];                                                             \
            const TI *xr = x + off[1];                                                        \
            if (so == 1 && sx == 1)                                                           \
                for (int64_t j = j0; j < j1; j++) { TI a = xr[j]; o[j] = (TO)(EXPR); }        \
            else                                                                              \
                for (int64_t j = j0; j < j1; j++) { TI a = xr[j * sx]; o[j * so] = (TO)(EXPR); } \
        }                                                                                     \
    }
// --8<-- [end:unary]

// out[i] = EXPR(a, b), a = x[i], b = y[i]
#define BINARY(NAME, TI, TO, EXPR)                                                            \
    void NAME(TO *out, const TI *x, const TI *y, const int64_t *meta) {                       \
        int64_t nd = NDIM(meta), n = SHAPE(meta)[nd - 1], rows = n_rows(meta);                \
        int64_t so = STRIDES(meta, 0)[nd - 1], sx = STRIDES(meta, 1)[nd - 1];                 \
        int64_t sy = STRIDES(meta, 2)[nd - 1], chunks = (n + CHUNK - 1) / CHUNK;              \
        _Pragma("omp parallel for if (rows * n >= 262144)")                                    \
        for (int64_t t = 0; t < rows * chunks; t++) {                                         \
            int64_t off[3], j0 = t % chunks * CHUNK, j1 = j0 + CHUNK < n ? j0 + CHUNK : n;    \
            row_offsets(meta, 3, t / chunks, off);                                            \
            TO *o = out + off[0];                                                             \
            const TI *xr = x + off[1], *yr = y + off[2];                                      \
            if (so == 1 && sx == 1 && sy == 1)                                                \
                for (int64_t j = j0; j < j1; j++) {                                           \
                    TI a = xr[j], b = yr[j];                                                  \
                    o[j] = (TO)(EXPR);                                                        \
                }                                                                             \
            else                                                                              \
                for (int64_t j = j0; j < j1; j++) {                                           \
                    TI a = xr[j * sx], b = yr[j * sy];                                        \
                    o[j * so] = (TO)(EXPR);                                                   \
                }                                                                             \
        }                                                                                     \
    }

// out[i] = cond[i] ? x[i] : y[i]
#define WHERE(NAME, T)                                                                        \
    void NAME(T *out, const bool_t *cond, const T *x, const T *y, const int64_t *meta) {      \
        int64_t nd = NDIM(meta), n = SHAPE(meta)[nd - 1], rows = n_rows(meta);                \
        int64_t so = STRIDES(meta, 0)[nd - 1], sc = STRIDES(meta, 1)[nd - 1];                 \
        int64_t sx = STRIDES(meta, 2)[nd - 1], sy = STRIDES(meta, 3)[nd - 1];                 \
        _Pragma("omp parallel for if (rows * n >= 262144)")                                    \
        for (int64_t r = 0; r < rows; r++) {                                                  \
            int64_t off[4];                                                                   \
            row_offsets(meta, 4, r, off);                                                     \
            for (int64_t j = 0; j < n; j++)                                                   \
                out[off[0] + j * so] = cond[off[1] + j * sc] ? x[off[2] + j * sx]             \
                                                             : y[off[3] + j * sy];            \
        }                                                                                     \
    }

// *** which op exists for which dtype ***
#define SAME(T) T
#define BOOL(T) bool_t
#define FOR_FLOATS(M, OP, TO, EXPR) M(OP##_f32, float, TO(float), EXPR)                       \
                                    M(OP##_f64, double, TO(double), EXPR)
#define FOR_INTS(M, OP, TO, EXPR) M(OP##_i32, int32_t, TO(int32_t), EXPR)                     \
                                  M(OP##_i64, int64_t, TO(int64_t), EXPR)
#define FOR_NUMBERS(M, OP, TO, EXPR) FOR_INTS(M, OP, TO, EXPR) FOR_FLOATS(M, OP, TO, EXPR)
#define FOR_ALL(M, OP, TO, EXPR) M(OP##_b8, bool_t, TO(bool_t), EXPR)                         \
                                 FOR_NUMBERS(M, OP, TO, EXPR)

// numpy's float floor division (npy_divmod): floor((a - fmod(a, b)) / b), corrected so that
// 7 // 0.7 is 9, not 10; x // 0 is x / 0 (inf or nan)
static inline double floordiv_f(double a, double b) {
    if (b == 0) return a / b;
    double mod = fmod(a, b), div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0;
    if (div == 0) return copysign(0.0, a / b);
    double fl = floor(div);
    return div - fl > 0.5 ? fl + 1.0 : fl;
}
// python's % for floats: the result takes the divisor's sign
static inline double mod_f(double a, double b) {
    double m = fmod(a, b);
    if (m != 0) return (b < 0) != (m < 0) ? m + b : m;
    return copysign(0.0, b);
}
// integer // and % round toward -inf (python), C's toward 0; the caller has ruled out b == 0.
// b == -1 goes apart: INT64_MIN / -1 overflows, and x86 traps it (SIGFPE, the process dies);
// numpy wraps the quotient to INT64_MIN, and the remainder is 0
static inline int64_t floordiv_i(int64_t a, int64_t b) {
    if (b == -1) return (int64_t)(0 - (uint64_t)a);  // -a, wrapping
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static inline int64_t mod_i(int64_t a, int64_t b) {
    if (b == -1) return 0;
    int64_t m = a % b;
    return (m != 0 && ((m < 0) != (b < 0))) ? m + b : m;
}
// integer power by squaring; the caller has ruled out negative exponents
static inline int64_t pow_i(int64_t a, int64_t b) {
    int64_t r = 1;
    for (; b > 0; b >>= 1, a *= a)
        if (b & 1) r *= a;
    return r;
}
#define MAX_NAN(a, b) ((a) != (a) ? (a) : (b) != (b) ? (b) : (a) > (b) ? (a) : (b))
#define MIN_NAN(a, b) ((a) != (a) ? (a) : (b) != (b) ? (b) : (a) < (b) ? (a) : (b))

// unary
FOR_NUMBERS(UNARY, neg, SAME, -a)
FOR_FLOATS(UNARY, exp, SAME, VEXP(a))  // float: vmath.h's polynomial, which vectorizes
FOR_FLOATS(UNARY, log, SAME, log(a))
FOR_FLOATS(UNARY, sqrt, SAME, sqrt(a))
FOR_FLOATS(UNARY, sin, SAME, sin(a))
FOR_FLOATS(UNARY, cos, SAME, cos(a))
FOR_FLOATS(UNARY, tanh, SAME, VTANH(a))
FOR_FLOATS(UNARY, erf, SAME, erf(a))
FOR_FLOATS(UNARY, floor, SAME, floor(a))
FOR_FLOATS(UNARY, ceil, SAME, ceil(a))
FOR_FLOATS(UNARY, round, SAME, rint(a))  // half to even, in the default rounding mode
FOR_FLOATS(UNARY, abs, SAME, fabs(a))
FOR_INTS(UNARY, abs, SAME, a < 0 ? -a : a)
FOR_NUMBERS(UNARY, sign, SAME, a > 0 ? 1 : a < 0 ? -1 : a != a ? a : 0)  // nan; -0.0 -> 0.0
FOR_ALL(UNARY, not, BOOL, !a)

// binary, arithmetic (bool + is or, bool * is and: numpy's rules)
FOR_NUMBERS(BINARY, add, SAME, a + b)
BINARY(add_b8, bool_t, bool_t, a | b)
FOR_NUMBERS(BINARY, sub, SAME, a - b)
FOR_NUMBERS(BINARY, mul, SAME, a * b)
BINARY(mul_b8, bool_t, bool_t, a & b)
FOR_FLOATS(BINARY, div, SAME, a / b)
FOR_FLOATS(BINARY, pow, SAME, pow(a, b))
FOR_INTS(BINARY, pow, SAME, pow_i(a, b))
FOR_FLOATS(BINARY, floordiv, SAME, floordiv_f(a, b))
FOR_INTS(BINARY, floordiv, SAME, floordiv_i(a, b))
FOR_FLOATS(BINARY, mod, SAME, mod_f(a, b))
FOR_INTS(BINARY, mod, SAME, mod_i(a, b))
FOR_ALL(BINARY, max, SAME, MAX_NAN(a, b))
FOR_ALL(BINARY, min, SAME, MIN_NAN(a, b))
// binary, to bool
FOR_ALL(BINARY, cmplt, BOOL, a < b)
FOR_ALL(BINARY, cmple, BOOL, a <= b)
FOR_ALL(BINARY, cmpeq, BOOL, a == b)
FOR_ALL(BINARY, cmpne, BOOL, a != b)
FOR_ALL(BINARY, and, BOOL, (a != 0) & (b != 0))
FOR_ALL(BINARY, or, BOOL, (a != 0) | (b != 0))
FOR_ALL(BINARY, xor, BOOL, (a != 0) ^ (b != 0))

// where
WHERE(where_b8, bool_t)
WHERE(where_i32, int32_t)
WHERE(where_i64, int64_t)
WHERE(where_f32, float)
WHERE(where_f64, double)

// copy with a cast: copy_<from>_<to>. To bool is "!= 0"; float to int truncates toward 0.
#define COPY_FROM(NAME, TI)                                                                   \
    UNARY(NAME##_b8, TI, bool_t, a != 0)                                                      \
    UNARY(NAME##_i32, TI, int32_t, a)                                                         \
    UNARY(NAME##_i64, TI, int64_t, a)                                                         \
    UNARY(NAME##_f32, TI, float, a)                                                           \
    UNARY(NAME##_f64, TI, double, a)
COPY_FROM(copy_b8, bool_t)
COPY_FROM(copy_i32, int32_t)
COPY_FROM(copy_i64, int64_t)
COPY_FROM(copy_f32, float)
COPY_FROM(copy_f64, double)
