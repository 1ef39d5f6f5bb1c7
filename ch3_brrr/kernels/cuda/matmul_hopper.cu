// matmul_hopper.cu: rung 4 of the tensor-core GEMM, C = A @ B^T, the way Hopper wants it.
//
// Shapes: A (M,K), B (N,K), C (M,N), row-major (B K-major, as in matmul_tc.cu). A and B reach
// the kernel as CUtensorMaps in device memory (made on the host by cuTensorMapEncodeTiled,
// boxes of 128 or 256 rows x 128 bytes, 128-byte swizzle): the TMA zero-fills what lies past
// M, N and K, so the kernel has no edge cases on the way in. K: a multiple of 8 (bf16) or 4
// (fp32), for 16-byte row strides.
//
// Warp specialization. A block has three warpgroups and a ring of STAGES shared-memory stages:
//   producer   (warpgroup 0): one thread waits until a stage is empty, then asks the TMA to fill
//              it with the next K tile of A (128 rows) and B (256 rows).
//   consumers  (warpgroups 1, 2): wait until a stage is full, issue wgmma on it (rows 0-63 or
//              64-127 of the block's 128 x 256 tile of C), and hand it back once read.
// No __syncthreads in the loop: the stages' mbarriers are the only synchronization, so loads
// run STAGES - 1 tiles ahead of the tensor cores. The producer needs few registers, the
// consumers' accumulators 128 each; setmaxnreg moves registers from one to the others.
// The same code runs bf16 (64 per 128-byte row, k16 steps) and tf32 (fp32 storage, 32 per row,
// k8 steps): a K tile is always four wgmma steps of 32 bytes each.
#include "tile.cuh"
#include "hopper.cuh"

using namespace hopper;

#define HP_BM 128
#define HP_BN 256
#ifndef HP_STAGES
#define HP_STAGES 4  // 4 x 48 KB: as many as fit in 227 KB (the bench also times 2 and 3)
#endif
#define HP_ROW 128  // bytes per shared row, the swizzle span

struct alignas(1024) HpStage {
    unsigned char a[HP_BM * HP_ROW];  // 16 KB: A's K tile, 128 rows
    unsigned char b[HP_BN * HP_ROW];  // 32 KB: B's K tile, 256 rows
};
// dynamic shared memory: 1 KB of slack to align the stages, the stages, 2 x STAGES + 1 barriers
#define HP_SHARED (1024 + HP_STAGES * (int)sizeof(HpStage) + (2 * HP_STAGES + 1) * 8)

template <typename T> struct Wgmma;
template <> struct Wgmma<__nv_bfloat16> {  // 64 x 256 x 16
    static constexpr int BK = HP_ROW / 2;
    __device__ __forceinline__ static void mma(float d[128], uint64_t a, uint64_t b) {
        wgmma_m64n256k16(d, a, b);
    }
};
template <> struct Wgmma<float> {  // 64 x 256 x 8, tf32
    static constexpr int BK = HP_ROW / 4;
    __device__ __forceinline__ static void mma(float d[128], uint64_t a, uint64_t b) {
        wgmma_m64n256k8_tf32(d, a, b);
    }
};

// --8<-- [start:matmul_wgmma_tma]
template <typename T>
__device__ __forceinline__ void gemm_tma(const CUtensorMap* map_a, const CUtensorMap* map_b,
                                         T* C, int M, int N, int K) {
    constexpr int BK = Wgmma<T>::BK;
    extern __shared__ unsigned char smem_raw[];
    HpStage* stage = reinterpret_cast<HpStage*>(
        (reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
    uint64_t* full = reinterpret_cast<uint64_t*>(stage + HP_STAGES);  // TMA -> consumers
    uint64_t* empty = full + HP_STAGES;                                // consumers -> TMA
    uint64_t* spare = empty + HP_STAGES;
    int tm, tn;
    grouped_tile((M + HP_BM - 1) / HP_BM, (N + HP_BN - 1) / HP_BN, tm, tn);
    int m0 = tm * HP_BM, n0 = tn * HP_BN, wg = threadIdx.x / 128, ktiles = (K + BK - 1) / BK;
    if (threadIdx.x == 0) {
        for (int s = 0; s < HP_STAGES; s++) {
            mbar_init(&full[s], 1);   // the producer's arrive (plus the TMA's bytes)
            mbar_init(&empty[s], 256);  // every consumer thread's arrive
        }
        mbar_init(spare, 256);
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");  // seen by the TMA
    }
    __syncthreads();
    if (wg == 0) {  // producer
        setmaxnreg_dec<40>();
        if (threadIdx.x == 0) {
            for (int kt = 0; kt < ktiles; kt++) {
                int s = kt % HP_STAGES;
                if (kt >= HP_STAGES) mbar_wait(&empty[s], (kt / HP_STAGES - 1) & 1);
                mbar_arrive_expect_tx(&full[s], sizeof(HpStage));
                tma_load_2d(stage[s].a, map_a, kt * BK, m0, &full[s]);
                tma_load_2d(stage[s].b, map_b, kt * BK, n0, &full[s]);
            }
        }
        return;
    }
    setmaxnreg_inc<232>();  // consumers
    int half = wg - 1;      // rows 64*half .. 64*half + 63 of the block's tile
    float d[128];
#pragma unroll
    for (int i = 0; i < 128; i++) d[i] = 0.f;
    for (int kt = 0; kt < ktiles; kt++) {
        int s = kt % HP_STAGES;
        mbar_wait(&full[s], (kt / HP_STAGES) & 1);
        wgmma_fence();
        const unsigned char* a = stage[s].a + half * 64 * HP_ROW;
#pragma unroll
        for (int k = 0; k < 4; k++)  // 32 bytes per step inside the swizzled rows
            Wgmma<T>::mma(d, wgmma_desc(a + 32 * k), wgmma_desc(stage[s].b + 32 * k));
        wgmma_commit();
        wgmma_wait<1>();  // tile kt-1's products are done: its stage may be refilled
        // Every consumer thread says so. At kt = 0 there is no tile -1: the arrival goes to a
        // spare barrier nobody waits on, since a branch here makes ptxas serialize the wgmmas.
        mbar_arrive(kt > 0 ? &empty[(kt - 1) % HP_STAGES] : spare);
    }
    wgmma_wait<0>();
    // Warp w of the consumer owns rows 16w..16w+15; each 16 columns are an rt_fl (tile.cuh).
    int warp = (threadIdx.x / 32) % 4;
#pragma unroll
    for (int j = 0; j < 16; j++) {
        tile::rt_fl t;
#pragma unroll
        for (int e = 0; e < 8; e++) t.v[e] = d[8 * j + e];
        tile::store(C, t, m0 + 64 * half + 16 * warp, n0 + 16 * j, M, N, N);
    }
}
// --8<-- [end:matmul_wgmma_tma]

// The tensor maps live in device memory (64-byte aligned), where the host copied them.
extern "C" __global__ void __launch_bounds__(384, 1) matmul_bf16_wgmma_tma(
        const CUtensorMap* map_a, const CUtensorMap* map_b, __nv_bfloat16* C, int M, int N,
        int K) {
    gemm_tma<__nv_bfloat16>(map_a, map_b, C, M, N, K);
}

extern "C" __global__ void __launch_bounds__(384, 1) matmul_tf32_wgmma_tma(
        const CUtensorMap* map_a, const CUtensorMap* map_b, float* C, int M, int N, int K) {
    gemm_tma<float>(map_a, map_b, C, M, N, K);
}
