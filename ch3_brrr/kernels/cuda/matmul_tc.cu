// matmul_tc.cu: GEMM on the tensor cores, C = A @ B^T.
//
// Shapes: A (M,K), B (N,K), C (M,N), row-major: B is K-major, the layout of an nn.Linear
// weight (y = x W^T) and the one every tensor-core instruction reads fastest. K must be a
// multiple of 8 (16-byte copies); M and N are free (edges are zero-filled and clipped).
//   rung 1: tf32 through the WMMA API: fp32 inputs rounded to 10-bit mantissas, fp32 sums.
//   rung 2: bf16 with mma.sync through tile.cuh: 128x128 block tiles, a 64x64 tile per warp,
//           a 3-stage cp.async pipeline (loads for tile k+2 fly while tile k computes).
//   rung 3: bf16 with Hopper's wgmma: a warpgroup (4 warps) issues one 64x256x16 product
//           whose operands the tensor cores read straight from swizzled shared memory; the
//           products of one K tile run on while the next tile's are issued.
//   rung 4 (matmul_hopper.cu): the same wgmma fed by the TMA, with warp specialization.
#include <mma.h>
#include "tile.cuh"
#include "hopper.cuh"

using namespace tile;
using namespace hopper;

// --8<-- [start:matmul_tf32_wmma]
// Block of 4 warps computes 64x64 of C; each warp a 32x32 quarter as 2x2 fragments of 16x16.
// Tiles of A and B (64 x 16 fp32) are staged in shared memory by cp.async.
#define TF_BM 64
#define TF_BN 64
#define TF_BK 16
extern "C" __global__ void __launch_bounds__(128) matmul_tf32_wmma(
        const float* A, const float* B, float* C, int M, int N, int K) {
    using namespace nvcuda;
    __shared__ __align__(32) float As[TF_BM][TF_BK + 8];  // +8: 32-byte aligned, fewer conflicts
    __shared__ __align__(32) float Bs[TF_BN][TF_BK + 8];
    __shared__ __align__(32) float Cs[4][16 * 16];         // a warp's edge fragment, to clip
    int warp = threadIdx.x / 32, m0 = blockIdx.y * TF_BM, n0 = blockIdx.x * TF_BN;
    int wm = (warp / 2) * 32, wn = (warp % 2) * 32;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.f);
    for (int k0 = 0; k0 < K; k0 += TF_BK) {
        for (int i = threadIdx.x; i < TF_BM * TF_BK / 4; i += 128) {  // 16-byte chunks
            int r = i / (TF_BK / 4), c = (i % (TF_BK / 4)) * 4;
            bool va = m0 + r < M && k0 + c < K, vb = n0 + r < N && k0 + c < K;
            cp_async16(&As[r][c], va ? A + (size_t)(m0 + r) * K + k0 + c : A, va);
            cp_async16(&Bs[r][c], vb ? B + (size_t)(n0 + r) * K + k0 + c : B, vb);
        }
        cp_async_commit();
        cp_async_wait<0>();
        __syncthreads();
        for (int kk = 0; kk < TF_BK; kk += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> b[2];
            for (int i = 0; i < 2; i++) {
                wmma::load_matrix_sync(a[i], &As[wm + 16 * i][kk], TF_BK + 8);
                wmma::load_matrix_sync(b[i], &Bs[wn + 16 * i][kk], TF_BK + 8);  // B^T: col-major
                for (int e = 0; e < a[i].num_elements; e++)
                    a[i].x[e] = wmma::__float_to_tf32(a[i].x[e]);
                for (int e = 0; e < b[i].num_elements; e++)
                    b[i].x[e] = wmma::__float_to_tf32(b[i].x[e]);
            }
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            int r0 = m0 + wm + 16 * i, c0 = n0 + wn + 16 * j;
            // a direct store needs 32-byte aligned rows: N a multiple of 8
            if (r0 + 16 <= M && c0 + 16 <= N && N % 8 == 0) {
                wmma::store_matrix_sync(C + (size_t)r0 * N + c0, acc[i][j], N, wmma::mem_row_major);
            } else {  // clip through shared memory
                wmma::store_matrix_sync(Cs[warp], acc[i][j], 16, wmma::mem_row_major);
                __syncwarp();
                for (int e = threadIdx.x % 32; e < 256; e += 32)
                    if (r0 + e / 16 < M && c0 + e % 16 < N)
                        C[(size_t)(r0 + e / 16) * N + c0 + e % 16] = Cs[warp][e];
                __syncwarp();
            }
        }
}
// --8<-- [end:matmul_tf32_wmma]

// --8<-- [start:matmul_bf16_mma]
// Block of 4 warps (2 x 2) computes 128x128 of C; warp w a 64x64 tile = 4x4 tiles of 16x16.
// Shared memory holds STAGES copies of (A 128x64, B 128x64): 96 KB, set at launch.
#define MMA_BM 128
#define MMA_BN 128
#define MMA_BK 64
#define MMA_STAGES 3
struct MmaStage { st_bf<MMA_BM, MMA_BK> a; st_bf<MMA_BN, MMA_BK> b; };

extern "C" __global__ void __launch_bounds__(128) matmul_bf16_mma(
        const __nv_bfloat16* A, const __nv_bfloat16* B, __nv_bfloat16* C, int M, int N, int K) {
    extern __shared__ __align__(1024) unsigned char smem[];
    MmaStage* stage = reinterpret_cast<MmaStage*>(smem);
    int tm, tn;
    grouped_tile((M + MMA_BM - 1) / MMA_BM, (N + MMA_BN - 1) / MMA_BN, tm, tn);
    int m0 = tm * MMA_BM, n0 = tn * MMA_BN, warp = threadIdx.x / 32;
    int wm = (warp / 2) * 64, wn = (warp % 2) * 64;
    int ktiles = (K + MMA_BK - 1) / MMA_BK;
    auto load_stage = [&](int kt) {
        if (kt < ktiles) {
            MmaStage& s = stage[kt % MMA_STAGES];
            load_async(s.a, A, m0, kt * MMA_BK, M, K, K, threadIdx.x, 128);
            load_async(s.b, B, n0, kt * MMA_BK, N, K, K, threadIdx.x, 128);
        }
        cp_async_commit();  // an empty group past the end keeps the wait count uniform
    };
    rt_fl acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) zero(acc[i][j]);
    for (int s = 0; s < MMA_STAGES - 1; s++) load_stage(s);
    for (int kt = 0; kt < ktiles; kt++) {
        cp_async_wait<MMA_STAGES - 2>();  // tile kt has landed
        __syncthreads();                   // ... for every thread; and tile kt-1 is consumed
        load_stage(kt + MMA_STAGES - 1);   // refill the stage tile kt-1 used
        MmaStage& s = stage[kt % MMA_STAGES];
#pragma unroll
        for (int kk = 0; kk < MMA_BK; kk += 16) {
            rt_bf a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) load(a[i], s.a, wm + 16 * i, kk);
#pragma unroll
            for (int j = 0; j < 4; j++) load(b[j], s.b, wn + 16 * j, kk);
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) mma_ABt(acc[i][j], a[i], b[j]);
        }
    }
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
            store(C, acc[i][j], m0 + wm + 16 * i, n0 + wn + 16 * j, M, N, N);
}
// --8<-- [end:matmul_bf16_mma]

// *** rung 3: wgmma (hopper.cuh has the instructions) ***

// --8<-- [start:matmul_bf16_wgmma]
// Block of 2 warpgroups computes 128x256 of C; warpgroup g the rows 64g..64g+63. Shared memory
// holds WG_STAGES copies of (A 128x64, B 256x64) = 48 KB each, filled by cp.async in the same
// swizzled layout as tile.cuh's st_bf (which is why the descriptor's swizzle mode matches).
#define WG_BM 128
#define WG_BN 256
#define WG_BK 64
#define WG_STAGES 4
struct WgStage { st_bf<WG_BM, WG_BK> a; st_bf<WG_BN, WG_BK> b; };

extern "C" __global__ void __launch_bounds__(256, 1) matmul_bf16_wgmma(
        const __nv_bfloat16* A, const __nv_bfloat16* B, __nv_bfloat16* C, int M, int N, int K) {
    extern __shared__ __align__(1024) unsigned char smem[];
    WgStage* stage = reinterpret_cast<WgStage*>(smem);  // each stage is a multiple of 1024 B
    int tm, tn;
    grouped_tile((M + WG_BM - 1) / WG_BM, (N + WG_BN - 1) / WG_BN, tm, tn);
    int m0 = tm * WG_BM, n0 = tn * WG_BN, wg = threadIdx.x / 128;
    int ktiles = (K + WG_BK - 1) / WG_BK;
    auto load_stage = [&](int kt) {
        if (kt < ktiles) {
            WgStage& s = stage[kt % WG_STAGES];
            load_async(s.a, A, m0, kt * WG_BK, M, K, K, threadIdx.x, 256);
            load_async(s.b, B, n0, kt * WG_BK, N, K, K, threadIdx.x, 256);
        }
        cp_async_commit();
    };
    float d[128];
#pragma unroll
    for (int i = 0; i < 128; i++) d[i] = 0.f;
    // Tiles are loaded WG_STAGES - 2 ahead, not - 1: the products of tile kt-1 may still be
    // reading their stage while tile kt's are issued (wgmma_wait<1>), so the stage refilled at
    // step kt is the one tile kt-2 used, which every warpgroup has finished with.
    for (int s = 0; s < WG_STAGES - 2; s++) load_stage(s);
    for (int kt = 0; kt < ktiles; kt++) {
        cp_async_wait<WG_STAGES - 3>();  // tile kt has landed
        // cp.async wrote through the generic proxy; the tensor cores read through the async one
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        __syncthreads();
        load_stage(kt + WG_STAGES - 2);
        WgStage& s = stage[kt % WG_STAGES];
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < WG_BK; kk += 16)  // +32 bytes per k-step inside the swizzled rows
            wgmma_m64n256k16(d, wgmma_desc(s.a.ptr(64 * wg, kk)), wgmma_desc(s.b.ptr(0, kk)));
        wgmma_commit();
        wgmma_wait<1>();  // tile kt-1's products are done; tile kt's may run on
    }
    wgmma_wait<0>();
    // Accumulator layout: warp w of the group owns rows 16w..16w+15; per 8 columns, the
    // m16n8 layout of mma.sync (so an rt_fl holds d[8j .. 8j+7] for columns 16j..16j+15).
    int warp = (threadIdx.x / 32) % 4;
#pragma unroll
    for (int j = 0; j < 16; j++) {
        rt_fl t;
#pragma unroll
        for (int e = 0; e < 8; e++) t.v[e] = d[8 * j + e];
        store(C, t, m0 + 64 * wg + 16 * warp, n0 + 16 * j, M, N, N);
    }
}
// --8<-- [end:matmul_bf16_wgmma]
