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
#include <mma.h>
#include "tile.cuh"

using namespace tile;

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
                for (int e = 0; e < a[i].num_elements; e++) a[i].x[e] = wmma::__float_to_tf32(a[i].x[e]);
                for (int e = 0; e < b[i].num_elements; e++) b[i].x[e] = wmma::__float_to_tf32(b[i].x[e]);
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
                    if (r0 + e / 16 < M && c0 + e % 16 < N) C[(size_t)(r0 + e / 16) * N + c0 + e % 16] = Cs[warp][e];
                __syncwarp();
            }
        }
}
// --8<-- [end:matmul_tf32_wmma]

// Map a linear block id to (tile row, tile col) in groups of GROUP_M tile rows, so blocks that
// run at the same time share rows of A and columns of B in L2 (Triton's "grouped ordering").
__device__ __forceinline__ void grouped_tile(int tiles_m, int tiles_n, int& tm, int& tn) {
    constexpr int GROUP_M = 16;
    int id = blockIdx.x, per_group = GROUP_M * tiles_n;
    int first_m = (id / per_group) * GROUP_M, rows = min(tiles_m - first_m, GROUP_M);
    tm = first_m + (id % per_group) % rows;
    tn = (id % per_group) / rows;
}

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
        for (int j = 0; j < 4; j++) store(C, acc[i][j], m0 + wm + 16 * i, n0 + wn + 16 * j, M, N, N);
}
// --8<-- [end:matmul_bf16_mma]

// *** rung 3: wgmma ***

// --8<-- [start:wgmma_desc]
// A shared-memory matrix descriptor (PTX ISA, "matrix descriptor format"): where a K-major
// tile starts, and how it is laid out. Our tiles are st_bf<R, 64>: rows of 128 bytes, swizzled
// in 8-row groups of 1024 bytes, which is exactly the 128-byte swizzle mode (bits 62-63 = 1);
// the stride between 8-row groups (bits 32-45) is 1024 bytes, addresses are in 16-byte units.
__device__ __forceinline__ uint64_t wgmma_desc(const void* smem_tile) {
    uint64_t addr = smem_addr(smem_tile);
    return ((addr & 0x3FFFF) >> 4) | (uint64_t(1) << 16) | (uint64_t(1024 >> 4) << 32) |
           (uint64_t(1) << 62);
}
// --8<-- [end:wgmma_desc]

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" :: "n"(N) : "memory");
}

// The 128 accumulator operands of one m64n256k16 wgmma, spelled out (inline asm has no loops).
#define WGMMA_R0 "%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"
#define WGMMA_R1 "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,"
#define WGMMA_R2 "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,"
#define WGMMA_R3 "%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63,"
#define WGMMA_R4 "%64,%65,%66,%67,%68,%69,%70,%71,%72,%73,%74,%75,%76,%77,%78,%79,"
#define WGMMA_R5 "%80,%81,%82,%83,%84,%85,%86,%87,%88,%89,%90,%91,%92,%93,%94,%95,"
#define WGMMA_R6 "%96,%97,%98,%99,%100,%101,%102,%103,%104,%105,%106,%107,%108,%109,%110,%111,"
#define WGMMA_R7 "%112,%113,%114,%115,%116,%117,%118,%119,%120,%121,%122,%123,%124,%125,%126,%127"
#define WGMMA_REGS_128 WGMMA_R0 WGMMA_R1 WGMMA_R2 WGMMA_R3 WGMMA_R4 WGMMA_R5 WGMMA_R6 WGMMA_R7
#define WGMMA_OPERANDS_128 \
    "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), \
    "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), \
    "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
    "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), \
    "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), \
    "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), \
    "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
    "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), \
    "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), \
    "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), \
    "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), \
    "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), \
    "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), \
    "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), \
    "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), \
    "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])

// d (64 x 256 fp32, 128 registers per thread of the warpgroup) += A (64x16) @ B (256x16)^T.
__device__ __forceinline__ void wgmma_m64n256k16(float d[128], uint64_t da, uint64_t db) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {"
        WGMMA_REGS_128
        "}, %128, %129, p, 1, 1, 0, 0;\n}\n"
        : WGMMA_OPERANDS_128
        : "l"(da), "l"(db), "r"(1));
}

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
