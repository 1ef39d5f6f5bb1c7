// Strided N-d iteration shared by the C kernels of ch2's device "c".
//
// An operand is a pointer to its first element plus one stride per dim, in elements (0 for a
// broadcast dim, negative for a flipped one). The caller (kernels_c.py, layout) merges dims that
// are contiguous in every operand, so most calls arrive with one or two dims, and packs the
// layout into one int64 array `meta`:
//     meta[0]                       ndim (>= 1)
//     meta[1 .. ndim]               the shape, shared by all operands (broadcast already done)
//     meta[1 + ndim*(1+k) + d]      stride of operand k along dim d (k = 0 is out)
// The last dim is the inner loop; the others are "rows", split among threads by OpenMP.

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t bool_t;  // numpy's bool: one byte holding 0 or 1

#define NDIM(meta) ((meta)[0])
#define SHAPE(meta) ((meta) + 1)
#define STRIDES(meta, k) ((meta) + 1 + (meta)[0] * (1 + (k)))

// the number of rows (product of all dims but the last) and the length of a row
static inline int64_t n_rows(const int64_t *meta) {
    int64_t rows = 1;
    for (int64_t d = 0; d < NDIM(meta) - 1; d++) rows *= SHAPE(meta)[d];
    return rows;
}

// --8<-- [start:row_offsets]
// off[k] = where row `row` starts in operand k: unravel row into an index over dims 0..nd-2,
// then dot it with each operand's strides
static inline void row_offsets(const int64_t *meta, int nops, int64_t row, int64_t *off) {
    int64_t nd = NDIM(meta);
    // EXERCISE 3.2: peel row's index along each dim, innermost row dim first, into the offsets
    for (int k = 0; k < nops; k++) off[k] = 0;
    for (int64_t d = nd - 2; d >= 0; d--) {
        int64_t i = row % SHAPE(meta)[d];
        row /= SHAPE(meta)[d];
        for (int k = 0; k < nops; k++) off[k] += i * STRIDES(meta, k)[d];
    }
    // END EXERCISE
}
// --8<-- [end:row_offsets]

// Kernels go parallel (`omp parallel for if (work >= 262144)`) only past a quarter million
// elements: starting a thread team costs microseconds on an idle machine, and on a busy one a
// parallel region waits for its slowest thread, which may wait for a time slice (milliseconds).
