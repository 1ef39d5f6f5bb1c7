// The C matmul ladder: C = A @ B in float32, row-major, every rung kept as its own kernel.
//
// Shapes: A (M,K), B (K,N), C (M,N), all contiguous. Every rung overwrites C.
// rung 1 matmul_v1_naive:       the textbook i,j,k loop; B is read down a column (stride N)
// rung 2 matmul_v2_reordered:   i,k,j order: the inner loop streams rows of B and C, and vectorizes
// rung 3 matmul_v3_blocked:     rung 2 over tiles of K and N that stay in the L1/L2 caches
// rung 4 matmul_v4_microkernel: packed panels and an MR x NR block of C held in registers
// rung 5 matmul_v5_threads:     rung 4 on one band of rows of C per core, by OpenMP
// Measured numbers: bench/RESULTS.md ("ch3 C matmul ladder"); run `singsys bench c`.

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// --8<-- [start:matmul_v1_naive]
// rung 1: one dot product per output; the k loop jumps N floats through B on every step
void matmul_v1_naive(float *c, const float *a, const float *b, int64_t M, int64_t N, int64_t K) {
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++) acc += a[i * K + k] * b[k * N + j];
            c[i * N + j] = acc;
        }
    }
}
// --8<-- [end:matmul_v1_naive]

// --8<-- [start:matmul_v2_reordered]
// rung 2: swap the j and k loops; now a[i,k] is a scalar and the inner loop is
// c[i, :] += a[i,k] * b[k, :], two unit-stride streams the compiler turns into SIMD
void matmul_v2_reordered(float *restrict c, const float *restrict a, const float *restrict b,
                         int64_t M, int64_t N, int64_t K) {
    // EXERCISE 3.1: zero C, then for each i and k add a[i,k] times row k of B to row i of C
    memset(c, 0, sizeof(float) * M * N);
    for (int64_t i = 0; i < M; i++) {
        for (int64_t k = 0; k < K; k++) {
            float aik = a[i * K + k];
            for (int64_t j = 0; j < N; j++) c[i * N + j] += aik * b[k * N + j];
        }
    }
    // END EXERCISE
}
// --8<-- [end:matmul_v2_reordered]

// --8<-- [start:matmul_v3_blocked]
// rung 3: the same loops, tiled so a TK x TN tile of B (64 KiB) is reused by every row of A
// while it is still in cache, instead of streaming all of B from memory once per row
#define TK 128
#define TN 128
void matmul_v3_blocked(float *restrict c, const float *restrict a, const float *restrict b,
                       int64_t M, int64_t N, int64_t K) {
    memset(c, 0, sizeof(float) * M * N);
    for (int64_t k0 = 0; k0 < K; k0 += TK) {
        int64_t k1 = k0 + TK < K ? k0 + TK : K;
        for (int64_t j0 = 0; j0 < N; j0 += TN) {
            int64_t j1 = j0 + TN < N ? j0 + TN : N;
            for (int64_t i = 0; i < M; i++) {
                for (int64_t k = k0; k < k1; k++) {
                    float aik = a[i * K + k];
                    for (int64_t j = j0; j < j1; j++) c[i * N + j] += aik * b[k * N + j];
                }
            }
        }
    }
}
// --8<-- [end:matmul_v3_blocked]

// The register-blocked rungs follow the BLIS design: C is cut into MC x NC blocks, K into KC
// slices. A's MC x KC block is packed into MR-row slivers and B's KC x NC block into NR-column
// slivers, each laid out in the order the microkernel reads them (unit stride, zero padded at
// the edges, so the microkernel never tests bounds).
#define MR 6
#define NR 32
#define MC 96
#define KC 256
#define NC 512

// --8<-- [start:pack]
// ap[s][k][r] = a[i0 + s*MR + r, k0 + k], zero past row M (s: sliver, r < MR)
static void pack_a(float *restrict ap, const float *restrict a, int64_t lda,
                   int64_t i0, int64_t mc, int64_t k0, int64_t kc, int64_t M) {
    for (int64_t s = 0; s < mc; s += MR)
        for (int64_t k = 0; k < kc; k++)
            for (int64_t r = 0; r < MR; r++) {
                int64_t i = i0 + s + r;
                *ap++ = i < M ? a[i * lda + k0 + k] : 0.0f;
            }
}

// bp[s][k][q] = b[k0 + k, j0 + s*NR + q], zero past column N (q < NR)
static void pack_b(float *restrict bp, const float *restrict b, int64_t ldb,
                   int64_t k0, int64_t kc, int64_t j0, int64_t nc, int64_t N) {
    for (int64_t s = 0; s < nc; s += NR)
        for (int64_t k = 0; k < kc; k++)
            for (int64_t q = 0; q < NR; q++) {
                int64_t j = j0 + s + q;
                *bp++ = j < N ? b[(k0 + k) * ldb + j] : 0.0f;
            }
}
// --8<-- [end:pack]

// --8<-- [start:microkernel]
// C[0:mr, 0:nr] += ap (kc x MR sliver) @ bp (kc x NR sliver). acc is MR x NR floats: with
// constant bounds the compiler unrolls r, turns the q loop into vector FMAs, and keeps all of
// acc in registers, so each k loads MR + NR floats and does 2 * MR * NR flops.
static inline void microkernel(int64_t kc, const float *restrict ap, const float *restrict bp,
                               float *restrict c, int64_t ldc, int64_t mr, int64_t nr) {
    float acc[MR][NR] = {{0}};
    for (int64_t k = 0; k < kc; k++) {
        for (int r = 0; r < MR; r++) {
            float ar = ap[k * MR + r];
            for (int q = 0; q < NR; q++) acc[r][q] += ar * bp[k * NR + q];
        }
    }
    for (int64_t r = 0; r < mr; r++)
        for (int64_t q = 0; q < nr; q++) c[r * ldc + q] += acc[r][q];
}
// --8<-- [end:microkernel]

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// one MC x NC block of C from packed panels: every (MR x NR) tile by the microkernel
static void macrokernel(float *c, int64_t ldc, const float *ap, const float *bp,
                        int64_t mc, int64_t nc, int64_t kc) {
    for (int64_t jr = 0; jr < nc; jr += NR)
        for (int64_t ir = 0; ir < mc; ir += MR)
            microkernel(kc, ap + ir * kc, bp + jr * kc, c + ir * ldc + jr, ldc,
                        min64(MR, mc - ir), min64(NR, nc - jr));
}

// --8<-- [start:matmul_v4_microkernel]
// rung 4: loop over NC columns, KC slices and MC rows; pack, then run the macrokernel
void matmul_v4_microkernel(float *restrict c, const float *restrict a, const float *restrict b,
                           int64_t M, int64_t N, int64_t K) {
    memset(c, 0, sizeof(float) * M * N);
    // panels no bigger than the matrices need (small ones are common: attention heads)
    int64_t kc_max = min64(KC, K), a_size = round_up(min64(MC, M), MR) * kc_max;
    int64_t b_size = kc_max * round_up(min64(NC, N), NR);
    float *ap = aligned_alloc(64, sizeof(float) * round_up(a_size + 1, 16));
    float *bp = aligned_alloc(64, sizeof(float) * round_up(b_size + 1, 16));
    for (int64_t j0 = 0; j0 < N; j0 += NC) {
        int64_t nc = min64(NC, N - j0);
        for (int64_t k0 = 0; k0 < K; k0 += KC) {
            int64_t kc = min64(KC, K - k0);
            pack_b(bp, b, N, k0, kc, j0, round_up(nc, NR), N);
            for (int64_t i0 = 0; i0 < M; i0 += MC) {
                int64_t mc = min64(MC, M - i0);
                pack_a(ap, a, K, i0, round_up(mc, MR), k0, kc, M);
                macrokernel(c + i0 * N + j0, N, ap, bp, mc, nc, kc);
            }
        }
    }
    free(ap);
    free(bp);
}
// --8<-- [end:matmul_v4_microkernel]

// --8<-- [start:matmul_v5_threads]
// rung 5: each thread runs rung 4 on its own band of rows of A and C. The bands share nothing
// but B, which each thread packs for itself: no barrier until the end, and packing costs
// O(K*N) per thread against O(M*N*K / threads) of arithmetic.
void matmul_v5_threads(float *restrict c, const float *restrict a, const float *restrict b,
                       int64_t M, int64_t N, int64_t K) {
    #pragma omp parallel
    {
        int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
        int64_t band = round_up((M + threads - 1) / threads, MR);
        int64_t i0 = min64(t * band, M), i1 = min64(i0 + band, M);
        if (i1 > i0) matmul_v4_microkernel(c + i0 * N, a + i0 * K, b, i1 - i0, N, K);
    }
}
// --8<-- [end:matmul_v5_threads]

// *** the matmul of device "c" (ch2's MATMUL): batched, dense operands ***

// --8<-- [start:matmul_batched]
// c[p] = a[p] @ b[p] for p < batch. Shapes: a (batch,M,K), b (batch,K,N), c (batch,M,N).
// Small matrices (attention heads) go through rung 2; many bigger ones one per thread through
// rung 4; a few big ones one at a time through rung 5, which splits each among the threads.
void matmul_f32(float *c, const float *a, const float *b, int64_t batch,
                int64_t M, int64_t N, int64_t K) {
    if (M * N * K <= 64 * 64 * 64) {  // small: packing would cost more than it saves
        #pragma omp parallel for if (batch * M * N * K >= 262144)
        for (int64_t p = 0; p < batch; p++)
            matmul_v2_reordered(c + p * M * N, a + p * M * K, b + p * K * N, M, N, K);
    } else if (batch >= omp_get_max_threads()) {
        #pragma omp parallel for schedule(dynamic)
        for (int64_t p = 0; p < batch; p++)
            matmul_v4_microkernel(c + p * M * N, a + p * M * K, b + p * K * N, M, N, K);
    } else {
        for (int64_t p = 0; p < batch; p++)
            matmul_v5_threads(c + p * M * N, a + p * M * K, b + p * K * N, M, N, K);
    }
}
// --8<-- [end:matmul_batched]

// the other dtypes: rung 2's loop order, with the rows of every matrix split among threads
#define MATMUL_REORDERED(NAME, T)                                                             \
    void NAME(T *c, const T *a, const T *b, int64_t batch, int64_t M, int64_t N, int64_t K) { \
        _Pragma("omp parallel for if (batch * M * N * K >= 262144)")                           \
        for (int64_t row = 0; row < batch * M; row++) {                                       \
            int64_t p = row / M;                                                              \
            T *cr = c + row * N;                                                              \
            const T *ar = a + row * K, *bp = b + p * K * N;                                   \
            for (int64_t j = 0; j < N; j++) cr[j] = 0;                                        \
            for (int64_t k = 0; k < K; k++)                                                   \
                for (int64_t j = 0; j < N; j++) cr[j] += ar[k] * bp[k * N + j];               \
        }                                                                                     \
    }
MATMUL_REORDERED(matmul_f64, double)
MATMUL_REORDERED(matmul_i32, int32_t)
MATMUL_REORDERED(matmul_i64, int64_t)
