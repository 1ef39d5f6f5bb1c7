// Reductions, scans and sorts along the last dim of a dense (rows, n) array: device "c".
//
// Shapes: x (rows, n) contiguous -> out (rows) for reductions, (rows, n) for cumsum/argsort.
// The launcher moves the reduced dims last and makes them dense first (kernels_c.py), so each
// kernel is one loop over rows (split among threads) around a loop over one dense row.
// NaN: max/min/argmax/argmin return the first NaN, as numpy and torch do.

#include "strided.h"

// --8<-- [start:sum_f32]
// out[r] = sum_j x[r, j]. Sixteen partial sums are independent, so the compiler can keep them
// in one SIMD register without reassociating (no -ffast-math needed); they are added at the
// end. The error stays within n * eps * sum |x|, like any order of summation.
void sum_f32(float *out, const float *x, int64_t rows, int64_t n) {
    // EXERCISE 3.3: for each row, out[r] = its sum, with 16 partial sums the compiler vectorizes
    #pragma omp parallel for if (rows * n >= 262144)
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * n;
        float part[16] = {0};
        int64_t j = 0;
        for (; j + 16 <= n; j += 16)
            for (int q = 0; q < 16; q++) part[q] += row[j + q];
        float acc = 0;
        for (; j < n; j++) acc += row[j];
        for (int q = 0; q < 16; q++) acc += part[q];
        out[r] = acc;
    }
    // END EXERCISE
}
// --8<-- [end:sum_f32]

// sum_f32 for the other dtypes
#define SUM(NAME, T)                                                                          \
    void NAME(T *out, const T *x, int64_t rows, int64_t n) {                                  \
        _Pragma("omp parallel for if (rows * n >= 262144)")                                    \
        for (int64_t r = 0; r < rows; r++) {                                                  \
            const T *row = x + r * n;                                                         \
            T part[16] = {0}, acc = 0;                                                        \
            int64_t j = 0;                                                                    \
            for (; j + 16 <= n; j += 16)                                                      \
                for (int q = 0; q < 16; q++) part[q] += row[j + q];                           \
            for (; j < n; j++) acc += row[j];                                                 \
            for (int q = 0; q < 16; q++) acc += part[q];                                      \
            out[r] = acc;                                                                     \
        }                                                                                     \
    }

// out[r] = INIT combined with every x[r, j] by COMBINE(acc, v)
#define FOLD(NAME, T, INIT, COMBINE)                                                          \
    void NAME(T *out, const T *x, int64_t rows, int64_t n) {                                  \
        _Pragma("omp parallel for if (rows * n >= 262144)")                                    \
        for (int64_t r = 0; r < rows; r++) {                                                  \
            const T *row = x + r * n;                                                         \
            T acc = (INIT);                                                                   \
            for (int64_t j = 0; j < n; j++) {                                                 \
                T v = row[j];                                                                 \
                acc = (COMBINE);                                                              \
            }                                                                                 \
            out[r] = acc;                                                                     \
        }                                                                                     \
    }

// out[r] = the first j where x[r, j] BETTER than every earlier value (or the first NaN)
#define ARG(NAME, T, BETTER)                                                                  \
    void NAME(int64_t *out, const T *x, int64_t rows, int64_t n) {                            \
        _Pragma("omp parallel for if (rows * n >= 262144)")                                    \
        for (int64_t r = 0; r < rows; r++) {                                                  \
            const T *row = x + r * n;                                                         \
            int64_t best = 0;                                                                 \
            for (int64_t j = 0; j < n; j++) {                                                 \
                T v = row[j], b = row[best];                                                  \
                if (v != v) { best = j; break; }                                              \
                if (v BETTER b) best = j;                                                     \
            }                                                                                 \
            out[r] = best;                                                                    \
        }                                                                                     \
    }

// out[r, j] = x[r, 0] + ... + x[r, j]
#define CUMSUM(NAME, T)                                                                       \
    void NAME(T *out, const T *x, int64_t rows, int64_t n) {                                  \
        _Pragma("omp parallel for if (rows * n >= 262144)")                                    \
        for (int64_t r = 0; r < rows; r++) {                                                  \
            T acc = 0;                                                                        \
            for (int64_t j = 0; j < n; j++) out[r * n + j] = acc += x[r * n + j];             \
        }                                                                                     \
    }

#define FOLD_MAX(a, v) ((a) != (a) ? (a) : (v) != (v) ? (v) : (v) > (a) ? (v) : (a))
#define FOLD_MIN(a, v) ((a) != (a) ? (a) : (v) != (v) ? (v) : (v) < (a) ? (v) : (a))

#define NUMERIC(T, S)                                                                         \
    FOLD(prod_##S, T, 1, acc * v)                                                             \
    FOLD(max_##S, T, row[0], FOLD_MAX(acc, v))                                                \
    FOLD(min_##S, T, row[0], FOLD_MIN(acc, v))                                                \
    ARG(argmax_##S, T, >)                                                                     \
    ARG(argmin_##S, T, <)                                                                     \
    CUMSUM(cumsum_##S, T)
SUM(sum_i32, int32_t)
SUM(sum_i64, int64_t)
SUM(sum_f64, double)
NUMERIC(int32_t, i32)
NUMERIC(int64_t, i64)
NUMERIC(float, f32)
NUMERIC(double, f64)
FOLD(max_b8, bool_t, row[0], acc | v)
FOLD(min_b8, bool_t, row[0], acc & v)
ARG(argmax_b8, bool_t, >)
ARG(argmin_b8, bool_t, <)
FOLD(any_b8, bool_t, 0, acc | (v != 0))
FOLD(all_b8, bool_t, 1, acc & (v != 0))

// --8<-- [start:argsort]
// out[r, :] = the indices that sort row r, stably: a bottom-up merge sort of indices, runs of
// width 1, 2, 4, ... merged from idx into tmp and back. NaN sorts last (first if descending).
#define ARGSORT(NAME, T)                                                                      \
    static int NAME##_before(T a, T b, int64_t desc) {                                        \
        if (a != a) return desc && b == b; /* NaN: last ascending, first descending */       \
        if (b != b) return !desc;                                                             \
        return desc ? a > b : a < b;                                                          \
    }                                                                                         \
    void NAME(int64_t *out, const T *x, int64_t rows, int64_t n, int64_t desc) {              \
        _Pragma("omp parallel for if (rows * n >= 262144)")                                    \
        for (int64_t r = 0; r < rows; r++) {                                                  \
            const T *row = x + r * n;                                                         \
            int64_t *idx = out + r * n, *tmp = malloc(sizeof(int64_t) * (n > 0 ? n : 1));     \
            for (int64_t j = 0; j < n; j++) idx[j] = j;                                       \
            for (int64_t w = 1; w < n; w *= 2) {                                              \
                for (int64_t lo = 0; lo < n; lo += 2 * w) {                                   \
                    int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n; \
                    int64_t i = lo, j = mid, k = lo;                                          \
                    /* take from the right run only when strictly before: stability */       \
                    while (i < mid && j < hi)                                                 \
                        tmp[k++] = NAME##_before(row[idx[j]], row[idx[i]], desc) ? idx[j++]   \
                                                                                 : idx[i++];  \
                    while (i < mid) tmp[k++] = idx[i++];                                      \
                    while (j < hi) tmp[k++] = idx[j++];                                       \
                }                                                                             \
                memcpy(idx, tmp, sizeof(int64_t) * n);                                        \
            }                                                                                 \
            free(tmp);                                                                        \
        }                                                                                     \
    }
// --8<-- [end:argsort]
ARGSORT(argsort_b8, bool_t)
ARGSORT(argsort_i32, int32_t)
ARGSORT(argsort_i64, int64_t)
ARGSORT(argsort_f32, float)
ARGSORT(argsort_f64, double)
