// Index kernels of device "c": gather and scatter through precomputed element offsets.
//
// Shapes: out_off, x_off (n) int64, offsets in elements from each array's first element.
// The launcher (kernels_c.py) turns ch2's GATHER, INDEX, SCATTER_ADD and INDEX_PUT into offset
// lists: the index arithmetic (which element goes where, bounds checks) is host-side integer
// work, and these loops move the data. Embedding lookup is INDEX with one index tensor on
// dim 0 of the weight; its backward is INDEX_PUT with accumulate.

#include "strided.h"

// --8<-- [start:take]
// out[out_off[i]] = x[x_off[i]]: every i writes its own element, so threads can split i
#define TAKE(NAME, T)                                                                         \
    void NAME(T *out, const T *x, const int64_t *out_off, const int64_t *x_off, int64_t n) {  \
        _Pragma("omp parallel for if (n >= 262144)")                                           \
        for (int64_t i = 0; i < n; i++) out[out_off[i]] = x[x_off[i]];                        \
    }
// --8<-- [end:take]

// --8<-- [start:put]
// out[out_off[i]] (+)= src[src_off[i]], in order of i: one thread, because two i may name the
// same element (a token that appears twice adds two gradients into one embedding row)
#define PUT(NAME, T, ADD)                                                                     \
    void NAME(T *out, const T *src, const int64_t *out_off, const int64_t *src_off,           \
              int64_t n, int64_t accumulate) {                                                \
        if (accumulate)                                                                       \
            for (int64_t i = 0; i < n; i++) {                                                 \
                T a = out[out_off[i]], b = src[src_off[i]];                                   \
                out[out_off[i]] = (ADD);                                                      \
            }                                                                                 \
        else                                                                                  \
            for (int64_t i = 0; i < n; i++) out[out_off[i]] = src[src_off[i]];               \
    }
// --8<-- [end:put]

TAKE(take_b8, bool_t)
TAKE(take_i32, int32_t)
TAKE(take_i64, int64_t)
TAKE(take_f32, float)
TAKE(take_f64, double)
PUT(put_b8, bool_t, a | b)
PUT(put_i32, int32_t, a + b)
PUT(put_i64, int64_t, a + b)
PUT(put_f32, float, a + b)
PUT(put_f64, double, a + b)
