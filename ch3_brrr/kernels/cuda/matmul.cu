// matmul.cu: the SGEMM ladder, C = A @ B in float32 (no tensor cores, no TF32).
//
// Shapes: A (M,K), B (K,N), C (M,N), all row-major and contiguous. Every rung handles any M, N,
// K (edges are guarded); rungs 6-8 take the 16-byte path only where K and N are multiples of 4.
//   rung 1: naive, one thread per output, threadIdx.x walks rows: uncoalesced.
//   rung 2: global-memory coalescing: threadIdx.x walks columns, a warp reads one row of B.
//   rung 3: shared-memory tiling, 32x32 tiles: each element of A and B read 32x less often.
//   rung 4: 1-D register blocking: a thread computes 8 outputs of a column (64x64 tiles).
//   rung 5: 2-D register blocking: a thread computes an 8x8 block (128x128 tiles).
//   rung 6: vectorized: float4 global loads, A stored transposed so smem reads are float4 too.
//   rung 7: warp tiling: each warp owns a 64x32 sub-tile; lanes read contiguous float4 runs.
//   rung 8: rung 7 double-buffered (the next tile loads while this one computes), with its
//           tile sizes chosen by a search on the device (ladders/matmul_cuda.py autotunes).
// Launch geometry for each rung is in ch3_brrr/ladders/matmul_cuda.py (RUNGS).

#define CEIL_DIV(a, b) (((a) + (b) - 1) / (b))

// --8<-- [start:matmul_v1_naive]
// One thread per C[row, col]; consecutive threads (threadIdx.x) take consecutive rows, so a
// warp's loads of A are K floats apart and its loads of B all hit one address.
extern "C" __global__ void matmul_v1_naive(const float* A, const float* B, float* C,
                                           int M, int N, int K) {
    int row = blockIdx.x * blockDim.x + threadIdx.x;
    int col = blockIdx.y * blockDim.y + threadIdx.y;
    if (row < M && col < N) {
        float acc = 0.f;
        for (int k = 0; k < K; k++) acc += A[row * K + k] * B[k * N + col];
        C[row * N + col] = acc;
    }
}
// --8<-- [end:matmul_v1_naive]

// --8<-- [start:matmul_v2_coalesced]
// The same arithmetic with the thread roles swapped: threadIdx.x walks columns, so a warp reads
// 32 consecutive floats of a row of B (one 128-byte transaction) and broadcasts one of A.
extern "C" __global__ void matmul_v2_coalesced(const float* A, const float* B, float* C,
                                               int M, int N, int K) {
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row < M && col < N) {
        float acc = 0.f;
        for (int k = 0; k < K; k++) acc += A[row * K + k] * B[k * N + col];
        C[row * N + col] = acc;
    }
}
// --8<-- [end:matmul_v2_coalesced]

// --8<-- [start:matmul_v3_smem_tiled]
// Block (32,32) computes a 32x32 tile of C. It walks K in steps of 32, staging a 32x32 tile of
// A and of B in shared memory: each global element is loaded once per block, not 32 times.
#define T3 32
extern "C" __global__ void matmul_v3_smem_tiled(const float* A, const float* B, float* C,
                                                int M, int N, int K) {
    __shared__ float As[T3][T3];
    __shared__ float Bs[T3][T3];
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * T3 + ty, col = blockIdx.x * T3 + tx;
    float acc = 0.f;
    for (int k0 = 0; k0 < K; k0 += T3) {
        As[ty][tx] = (row < M && k0 + tx < K) ? A[row * K + k0 + tx] : 0.f;
        Bs[ty][tx] = (k0 + ty < K && col < N) ? B[(k0 + ty) * N + col] : 0.f;
        __syncthreads();
        // EXERCISE 3.7: add to acc the dot product of row ty of As with column tx of Bs
        for (int k = 0; k < T3; k++) acc += As[ty][k] * Bs[k][tx];
        // END EXERCISE
        __syncthreads();  // everyone is done reading before the next tile overwrites
    }
    if (row < M && col < N) C[row * N + col] = acc;
}
// --8<-- [end:matmul_v3_smem_tiled]

// --8<-- [start:matmul_v4_1d_blocktile]
// Block of 512 threads computes a 64x64 tile; thread t owns 8 outputs in column t%64, rows
// 8*(t/64)..+7. Per k, one value of B (in a register) meets 8 values of A: 9 shared loads for 8
// FMAs instead of 2 loads per FMA.
#define BM4 64
#define BN4 64
#define BK4 8
#define TM4 8
extern "C" __global__ void matmul_v4_1d_blocktile(const float* A, const float* B, float* C,
                                                  int M, int N, int K) {
    __shared__ float As[BM4 * BK4];
    __shared__ float Bs[BK4 * BN4];
    int tcol = threadIdx.x % BN4, trow = threadIdx.x / BN4;  // trow in [0, 8)
    int m0 = blockIdx.y * BM4, n0 = blockIdx.x * BN4;
    float acc[TM4] = {0.f};
    for (int k0 = 0; k0 < K; k0 += BK4) {
        // 512 threads load 64x8 of A and 8x64 of B: one element each.
        int ar = threadIdx.x / BK4, ak = threadIdx.x % BK4;
        As[ar * BK4 + ak] = (m0 + ar < M && k0 + ak < K) ? A[(m0 + ar) * K + k0 + ak] : 0.f;
        int br = threadIdx.x / BN4, bc = threadIdx.x % BN4;
        Bs[br * BN4 + bc] = (k0 + br < K && n0 + bc < N) ? B[(k0 + br) * N + n0 + bc] : 0.f;
        __syncthreads();
        // EXERCISE 3.8: for each k of the tile, one value of B in a register meets 8 of A
        for (int k = 0; k < BK4; k++) {
            float b = Bs[k * BN4 + tcol];
            for (int i = 0; i < TM4; i++) acc[i] += As[(trow * TM4 + i) * BK4 + k] * b;
        }
        // END EXERCISE
        __syncthreads();
    }
    for (int i = 0; i < TM4; i++) {
        int row = m0 + trow * TM4 + i, col = n0 + tcol;
        if (row < M && col < N) C[row * N + col] = acc[i];
    }
}
// --8<-- [end:matmul_v4_1d_blocktile]

// --8<-- [start:matmul_v5_2d_blocktile]
// Block of 256 threads computes a 128x128 tile; each thread an 8x8 block held in 64 registers.
// Per k, 8 values of A and 8 of B (16 shared loads) feed 64 FMAs: the outer product.
#define BM5 128
#define BN5 128
#define BK5 8
#define TM5 8
#define TN5 8
extern "C" __global__ void __launch_bounds__(256) matmul_v5_2d_blocktile(
        const float* A, const float* B, float* C, int M, int N, int K) {
    __shared__ float As[BM5 * BK5];
    __shared__ float Bs[BK5 * BN5];
    int tcol = threadIdx.x % (BN5 / TN5), trow = threadIdx.x / (BN5 / TN5);  // 16 x 16 threads
    int m0 = blockIdx.y * BM5, n0 = blockIdx.x * BN5;
    float acc[TM5][TN5] = {{0.f}};
    float a_reg[TM5], b_reg[TN5];
    for (int k0 = 0; k0 < K; k0 += BK5) {
        for (int i = threadIdx.x; i < BM5 * BK5; i += 256) {  // 4 loads of A, 4 of B each
            int ar = i / BK5, ak = i % BK5;
            As[i] = (m0 + ar < M && k0 + ak < K) ? A[(m0 + ar) * K + k0 + ak] : 0.f;
            int br = i / BN5, bc = i % BN5;
            Bs[i] = (k0 + br < K && n0 + bc < N) ? B[(k0 + br) * N + n0 + bc] : 0.f;
        }
        __syncthreads();
        for (int k = 0; k < BK5; k++) {
            for (int i = 0; i < TM5; i++) a_reg[i] = As[(trow * TM5 + i) * BK5 + k];
            for (int j = 0; j < TN5; j++) b_reg[j] = Bs[k * BN5 + tcol * TN5 + j];
            for (int i = 0; i < TM5; i++)
                for (int j = 0; j < TN5; j++) acc[i][j] += a_reg[i] * b_reg[j];
        }
        __syncthreads();
    }
    for (int i = 0; i < TM5; i++)
        for (int j = 0; j < TN5; j++) {
            int row = m0 + trow * TM5 + i, col = n0 + tcol * TN5 + j;
            if (row < M && col < N) C[row * N + col] = acc[i][j];
        }
}
// --8<-- [end:matmul_v5_2d_blocktile]

// 16 bytes from row-major memory at (row, col) of a (rows x cols) matrix, zeros past the edges;
// the float4 path needs cols % 4 == 0 so that every row starts 16-byte aligned.
__device__ __forceinline__ float4 load4(const float* X, int row, int col, int rows, int cols) {
    if (row >= rows) return make_float4(0.f, 0.f, 0.f, 0.f);
    const float* p = X + (size_t)row * cols + col;
    if ((cols & 3) == 0 && col + 3 < cols) return *reinterpret_cast<const float4*>(p);
    return make_float4(col < cols ? p[0] : 0.f, col + 1 < cols ? p[1] : 0.f,
                       col + 2 < cols ? p[2] : 0.f, col + 3 < cols ? p[3] : 0.f);
}
__device__ __forceinline__ void store4(float* X, int row, int col, int rows, int cols, float4 v) {
    if (row >= rows) return;
    float* p = X + (size_t)row * cols + col;
    if ((cols & 3) == 0 && col + 3 < cols) { *reinterpret_cast<float4*>(p) = v; return; }
    if (col < cols) p[0] = v.x;
    if (col + 1 < cols) p[1] = v.y;
    if (col + 2 < cols) p[2] = v.z;
    if (col + 3 < cols) p[3] = v.w;
}

// --8<-- [start:matmul_v6_vectorized]
// Rung 5 with 16-byte accesses. A is stored transposed in shared memory (As[k][m]) so that a
// thread's 8 values of A for one k are contiguous: two float4 shared loads instead of eight.
#define BM6 128
#define BN6 128
#define BK6 8
extern "C" __global__ void __launch_bounds__(256) matmul_v6_vectorized(
        const float* A, const float* B, float* C, int M, int N, int K) {
    __shared__ __align__(16) float As[BK6][BM6];
    __shared__ __align__(16) float Bs[BK6][BN6];
    int tcol = threadIdx.x % 16, trow = threadIdx.x / 16;
    int m0 = blockIdx.y * BM6, n0 = blockIdx.x * BN6;
    float acc[8][8] = {{0.f}};
    for (int k0 = 0; k0 < K; k0 += BK6) {
        // A tile 128x8: 256 float4, one per thread, scattered transposed into As.
        int ar = threadIdx.x / 2, ak = (threadIdx.x % 2) * 4;
        float4 a = load4(A, m0 + ar, k0 + ak, M, K);
        As[ak + 0][ar] = a.x; As[ak + 1][ar] = a.y; As[ak + 2][ar] = a.z; As[ak + 3][ar] = a.w;
        // B tile 8x128: 256 float4, one per thread, stored as is.
        int br = threadIdx.x / 32, bc = (threadIdx.x % 32) * 4;
        *reinterpret_cast<float4*>(&Bs[br][bc]) = load4(B, k0 + br, n0 + bc, K, N);
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK6; k++) {
            float a_reg[8], b_reg[8];
            const float4* a4 = reinterpret_cast<const float4*>(&As[k][trow * 8]);
            const float4* b4 = reinterpret_cast<const float4*>(&Bs[k][tcol * 8]);
            *reinterpret_cast<float4*>(&a_reg[0]) = a4[0];
            *reinterpret_cast<float4*>(&a_reg[4]) = a4[1];
            *reinterpret_cast<float4*>(&b_reg[0]) = b4[0];
            *reinterpret_cast<float4*>(&b_reg[4]) = b4[1];
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] += a_reg[i] * b_reg[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j += 4)
            store4(C, m0 + trow * 8 + i, n0 + tcol * 8 + j, M, N,
                   make_float4(acc[i][j], acc[i][j + 1], acc[i][j + 2], acc[i][j + 3]));
}
// --8<-- [end:matmul_v6_vectorized]

// *** rungs 7 and 8: warp tiling. The shape of the tiles is set by macros, so the autotuner
// can compile the same source with other values (-DWARPS_M=4 ...). ***
#ifndef WARPS_M
#define WARPS_M 2      // warps along M in a block
#endif
#ifndef WARPS_N
#define WARPS_N 4      // warps along N
#endif
#ifndef LANES_M
#define LANES_M 8      // lanes along M in a warp; LANES_N = 32 / LANES_M
#endif
#ifndef TM_SUB
#define TM_SUB 2       // float4 groups along M per thread: the thread tile is (4*TM_SUB) rows
#endif
#ifndef TN_SUB
#define TN_SUB 2       // float4 groups along N per thread: (4*TN_SUB) columns
#endif
#ifndef BK
#define BK 16          // K step of a shared tile
#endif
#ifndef MIN_BLOCKS
#define MIN_BLOCKS 1   // blocks per SM the compiler must fit (caps registers per thread)
#endif
#define LANES_N (32 / LANES_M)
#define WM (LANES_M * 4 * TM_SUB)   // warp tile rows
#define WN (LANES_N * 4 * TN_SUB)   // warp tile cols
#define BM (WM * WARPS_M)           // block tile rows
#define BN (WN * WARPS_N)           // block tile cols
#define NTHREADS (32 * WARPS_M * WARPS_N)
#define APAD 4                      // As rows padded by one float4: fewer bank conflicts on store

// --8<-- [start:warp_tile_compute]
// One BK-deep step of a warp's tile: the thread's values of A are TM_SUB float4 runs, at rows
// lane_m*4 + i*(LANES_M*4) of the warp tile; a warp's lanes read LANES_M consecutive float4s, so
// a shared load is one conflict-free 128-byte wavefront (lanes with equal lane_m broadcast).
__device__ __forceinline__ void warp_tile_step(const float (*As)[BM + APAD], const float (*Bs)[BN],
                                               float acc[4 * TM_SUB][4 * TN_SUB], int wm0, int wn0,
                                               int lane_m, int lane_n) {
#pragma unroll
    for (int k = 0; k < BK; k++) {
        float a[4 * TM_SUB], b[4 * TN_SUB];
#pragma unroll
        for (int i = 0; i < TM_SUB; i++)
            *reinterpret_cast<float4*>(&a[4 * i]) =
                *reinterpret_cast<const float4*>(&As[k][wm0 + i * LANES_M * 4 + lane_m * 4]);
#pragma unroll
        for (int j = 0; j < TN_SUB; j++)
            *reinterpret_cast<float4*>(&b[4 * j]) =
                *reinterpret_cast<const float4*>(&Bs[k][wn0 + j * LANES_N * 4 + lane_n * 4]);
#pragma unroll
        for (int i = 0; i < 4 * TM_SUB; i++)
#pragma unroll
            for (int j = 0; j < 4 * TN_SUB; j++) acc[i][j] += a[i] * b[j];
    }
}
// --8<-- [end:warp_tile_compute]

// Global -> registers for one (BM x BK) tile of A and one (BK x BN) tile of B.
#define A_LOADS (BM * BK / 4 / NTHREADS)
#define B_LOADS (BK * BN / 4 / NTHREADS)
__device__ __forceinline__ void fetch_tiles(const float* A, const float* B, int M, int N, int K,
                                            int m0, int n0, int k0, float4 ra[A_LOADS],
                                            float4 rb[B_LOADS]) {
#pragma unroll
    for (int l = 0; l < A_LOADS; l++) {
        int i = threadIdx.x + l * NTHREADS;
        ra[l] = load4(A, m0 + i / (BK / 4), k0 + (i % (BK / 4)) * 4, M, K);
    }
#pragma unroll
    for (int l = 0; l < B_LOADS; l++) {
        int i = threadIdx.x + l * NTHREADS;
        rb[l] = load4(B, k0 + i / (BN / 4), n0 + (i % (BN / 4)) * 4, K, N);
    }
}
// Registers -> shared, A transposed.
__device__ __forceinline__ void stash_tiles(float (*As)[BM + APAD], float (*Bs)[BN],
                                            const float4 ra[A_LOADS], const float4 rb[B_LOADS]) {
#pragma unroll
    for (int l = 0; l < A_LOADS; l++) {
        int i = threadIdx.x + l * NTHREADS, r = i / (BK / 4), k = (i % (BK / 4)) * 4;
        As[k + 0][r] = ra[l].x; As[k + 1][r] = ra[l].y;
        As[k + 2][r] = ra[l].z; As[k + 3][r] = ra[l].w;
    }
#pragma unroll
    for (int l = 0; l < B_LOADS; l++) {
        int i = threadIdx.x + l * NTHREADS;
        *reinterpret_cast<float4*>(&Bs[i / (BN / 4)][(i % (BN / 4)) * 4]) = rb[l];
    }
}
__device__ __forceinline__ void store_warp_tile(float* C, int M, int N, int row0, int col0,
                                                float acc[4 * TM_SUB][4 * TN_SUB], int lane_m,
                                                int lane_n) {
#pragma unroll
    for (int i = 0; i < TM_SUB; i++)
#pragma unroll
        for (int r = 0; r < 4; r++)
#pragma unroll
            for (int j = 0; j < TN_SUB; j++) {
                int row = row0 + i * LANES_M * 4 + lane_m * 4 + r;
                int col = col0 + j * LANES_N * 4 + lane_n * 4;
                float* v = &acc[4 * i + r][4 * j];
                store4(C, row, col, M, N, make_float4(v[0], v[1], v[2], v[3]));
            }
}

// --8<-- [start:matmul_v7_warptiled]
// Block tile BM x BN split among WARPS_M x WARPS_N warps; warp tile WM x WN split among lanes
// as LANES_M x LANES_N, each lane TM_SUB x TN_SUB blocks of 4x4 spaced a lane-row apart.
extern "C" __global__ void __launch_bounds__(NTHREADS) matmul_v7_warptiled(
        const float* A, const float* B, float* C, int M, int N, int K) {
    __shared__ __align__(16) float As[BK][BM + APAD];
    __shared__ __align__(16) float Bs[BK][BN];
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int wm0 = (warp / WARPS_N) * WM, wn0 = (warp % WARPS_N) * WN;
    int lane_m = lane / LANES_N, lane_n = lane % LANES_N;
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[4 * TM_SUB][4 * TN_SUB] = {{0.f}};
    float4 ra[A_LOADS], rb[B_LOADS];
    for (int k0 = 0; k0 < K; k0 += BK) {
        fetch_tiles(A, B, M, N, K, m0, n0, k0, ra, rb);
        stash_tiles(As, Bs, ra, rb);
        __syncthreads();
        warp_tile_step(As, Bs, acc, wm0, wn0, lane_m, lane_n);
        __syncthreads();
    }
    store_warp_tile(C, M, N, m0 + wm0, n0 + wn0, acc, lane_m, lane_n);
}
// --8<-- [end:matmul_v7_warptiled]

// --8<-- [start:matmul_v8_autotuned]
// Rung 7 double-buffered: two shared tiles; while the warps compute on one, the next tile's
// global loads are already in flight (issued into registers before the math), and land in the
// other buffer after it. One barrier per K step instead of two.
extern "C" __global__ void __launch_bounds__(NTHREADS, MIN_BLOCKS) matmul_v8_autotuned(
        const float* A, const float* B, float* C, int M, int N, int K) {
    __shared__ __align__(16) float As[2][BK][BM + APAD];
    __shared__ __align__(16) float Bs[2][BK][BN];
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int wm0 = (warp / WARPS_N) * WM, wn0 = (warp % WARPS_N) * WN;
    int lane_m = lane / LANES_N, lane_n = lane % LANES_N;
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[4 * TM_SUB][4 * TN_SUB] = {{0.f}};
    float4 ra[A_LOADS], rb[B_LOADS];
    fetch_tiles(A, B, M, N, K, m0, n0, 0, ra, rb);
    stash_tiles(As[0], Bs[0], ra, rb);
    __syncthreads();
    int buf = 0;
    for (int k0 = 0; k0 < K; k0 += BK) {
        bool more = k0 + BK < K;
        if (more) fetch_tiles(A, B, M, N, K, m0, n0, k0 + BK, ra, rb);  // in flight during math
        warp_tile_step(As[buf], Bs[buf], acc, wm0, wn0, lane_m, lane_n);
        if (more) stash_tiles(As[buf ^ 1], Bs[buf ^ 1], ra, rb);
        __syncthreads();
        buf ^= 1;
    }
    store_warp_tile(C, M, N, m0 + wm0, n0 + wn0, acc, lane_m, lane_n);
}
// --8<-- [end:matmul_v8_autotuned]
