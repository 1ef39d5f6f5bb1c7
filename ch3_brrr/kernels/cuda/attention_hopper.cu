// attention_hopper.cu: flash attention forward, the Hopper rung (wgmma + TMA).
//
// Same contract as attention.cu: q, k, v (B, H, T, D) bf16, contiguous -> o (B, H, T, D) bf16,
// lse (B, H, T) fp32; D is 64 or 128. What changes is who does the work:
//   producer  (warpgroup 0): one thread asks the TMA for the block's 128 queries once, then for
//             each block of 128 keys and values, into a ring of AH_STAGES shared stages.
//   consumers (warpgroups 1, 2): 64 queries each. S = Q K^T by wgmma straight from shared
//             memory (64 x 128 scores in 64 registers a thread), the online softmax on those
//             registers, then O += P V by wgmma with P as the A operand *in registers* (the
//             accumulator layout of S is the register layout of A, as with mma.sync), V read
//             from shared memory as an MN-major operand.
// Q, K and V reach the kernel as three CUtensorMaps over the (B*H*T, D) matrix of all heads,
// boxes of 128 rows x 64 columns (128 bytes, swizzled): D = 128 is two such boxes side by side.
// A box may run past this head's T into the next head's rows (or, past the last head, into the
// TMA's zeros): those keys are masked to -inf, so their p is exactly 0 and their v is never
// added; those queries are computed and not stored.
#include "tile.cuh"
#include "hopper.cuh"

using namespace hopper;

#define AH_BQ 128   // queries per block: two consumer warpgroups of 64
#define AH_BKV 128  // keys per step
#ifndef AH_STAGES
#define AH_STAGES 2
#endif
#define AH_ROW 128  // bytes per shared row: 64 bf16, the swizzle span
// dynamic shared memory: 1 KB of alignment slack, Q, the stages (K then V), 2 x STAGES + 1 barriers
#define AH_SHARED(D) \
    (1024 + ((D) / 64) * AH_ROW * (AH_BQ + 2 * AH_STAGES * AH_BKV) + (2 * AH_STAGES + 1) * 8)

// 2^x by the special-function unit; -inf gives 0 (a masked key's probability, exactly).
__device__ __forceinline__ float ex2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&h);
}

// --8<-- [start:flash_attention_wgmma]
template <int D>
__device__ __forceinline__ void flash_attention_wgmma(const CUtensorMap* maps, __nv_bfloat16* O,
                                                      float* lse, int T, float scale,
                                                      bool causal) {
    constexpr int DC = D / 64;                          // 128-byte column chunks of a row
    constexpr int KV_BYTES = DC * AH_BKV * AH_ROW;      // one K (or V) block
    extern __shared__ unsigned char smem_raw[];
    unsigned char* q_s = reinterpret_cast<unsigned char*>(
        (reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
    unsigned char* kv_s = q_s + DC * AH_BQ * AH_ROW;   // stage s: K at 2s, V at 2s + 1
    uint64_t* full = reinterpret_cast<uint64_t*>(kv_s + 2 * AH_STAGES * KV_BYTES);
    uint64_t* empty = full + AH_STAGES;
    uint64_t* q_full = empty + AH_STAGES;
    int nq = (T + AH_BQ - 1) / AH_BQ;
    int q0 = (causal ? nq - 1 - blockIdx.x : blockIdx.x) * AH_BQ;  // causal: longest first
    int row0 = blockIdx.y * T;  // this head's first row in the (B*H*T, D) matrices
    int nkv = (T + AH_BKV - 1) / AH_BKV;
    if (causal) nkv = min(nkv, (q0 + AH_BQ + AH_BKV - 1) / AH_BKV);  // blocks after: all masked
    int wg = threadIdx.x / 128;
    if (threadIdx.x == 0) {
        for (int s = 0; s < AH_STAGES; s++) {
            mbar_init(&full[s], 1);
            mbar_init(&empty[s], 256);
        }
        mbar_init(q_full, 1);
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();

    if (wg == 0) {  // producer
        setmaxnreg_dec<40>();
        if (threadIdx.x == 0) {
            mbar_arrive_expect_tx(q_full, DC * AH_BQ * AH_ROW);
            for (int c = 0; c < DC; c++)
                tma_load_2d(q_s + c * AH_BQ * AH_ROW, &maps[0], 64 * c, row0 + q0, q_full);
            for (int j = 0; j < nkv; j++) {
                int s = j % AH_STAGES;
                if (j >= AH_STAGES) mbar_wait(&empty[s], (j / AH_STAGES - 1) & 1);
                mbar_arrive_expect_tx(&full[s], 2 * KV_BYTES);
                unsigned char* k_s = kv_s + 2 * s * KV_BYTES;
                for (int c = 0; c < DC; c++) {
                    int r = row0 + j * AH_BKV;
                    tma_load_2d(k_s + c * AH_BKV * AH_ROW, &maps[1], 64 * c, r, &full[s]);
                    tma_load_2d(k_s + KV_BYTES + c * AH_BKV * AH_ROW, &maps[2], 64 * c, r,
                                &full[s]);
                }
            }
        }
        return;
    }
    setmaxnreg_inc<232>();  // consumers
    int half = wg - 1, warp = (threadIdx.x / 32) % 4, lane = threadIdx.x % 32;
    int qw = q0 + 64 * half + 16 * warp;  // this warp's first query; a lane has rows g, g + 8
    int g = lane / 4, t = lane % 4;
    const float sl2 = scale * 1.4426950408889634f;  // exp(x * scale) = 2^(x * sl2)
    float o[DC][32];
#pragma unroll
    for (int c = 0; c < DC; c++)
#pragma unroll
        for (int i = 0; i < 32; i++) o[c][i] = 0.f;
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};  // raw score units
    mbar_wait(q_full, 0);
    const unsigned char* q_mine = q_s + 64 * half * AH_ROW;

    for (int j = 0; j < nkv; j++) {
        int s = j % AH_STAGES;
        const unsigned char* k_s = kv_s + 2 * s * KV_BYTES;
        const unsigned char* v_s = k_s + KV_BYTES;
        mbar_wait(&full[s], (j / AH_STAGES) & 1);
        // S = Q K^T: D/16 steps of k16; step kk reads bytes 32 (kk % 4) of chunk kk / 4.
        float sc[64];
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++) {
            int c = kk / 4, off = 32 * (kk % 4);
            wgmma_m64n128k16_ss(sc, wgmma_desc(q_mine + c * AH_BQ * AH_ROW + off),
                                wgmma_desc(k_s + c * AH_BKV * AH_ROW + off), kk > 0);
        }
        wgmma_commit();
        wgmma_wait<0>();
        // Mask keys past T and, if causal, after the query; only the edge blocks need it.
        // sc[4i + e]: row g + 8 (e / 2), key 8i + 2t + (e % 2) of the block.
        int k0 = j * AH_BKV;
        if (k0 + AH_BKV > T || (causal && k0 + AH_BKV - 1 > q0 + 64 * half)) {
#pragma unroll
            for (int i = 0; i < 64; i++) {
                int key = k0 + 8 * (i / 4) + 2 * t + (i % 2), query = qw + g + 8 * ((i / 2) % 2);
                if (key >= T || (causal && key > query)) sc[i] = -INFINITY;
            }
        }
        // Online softmax on the registers: the running max, the correction of what was summed.
        float mb[2], corr[2];
#pragma unroll
        for (int r = 0; r < 2; r++) {
            float mx = m[r];
#pragma unroll
            for (int i = 0; i < 16; i++)
                mx = fmaxf(mx, fmaxf(sc[4 * i + 2 * r], sc[4 * i + 2 * r + 1]));
            mx = tile::quad_max(mx);
            mb[r] = mx == -INFINITY ? 0.f : mx * sl2;  // a row with nothing seen yet
            corr[r] = ex2(m[r] * sl2 - mb[r]);
            l[r] *= corr[r];
            m[r] = mx;
        }
#pragma unroll
        for (int c = 0; c < DC; c++)
#pragma unroll
            for (int i = 0; i < 32; i++) o[c][i] *= corr[(i / 2) % 2];
        // P = 2^(S sl2 - m sl2), summed in fp32, packed into bf16 A fragments: 16 keys a step.
        uint32_t p[AH_BKV / 16][4];
#pragma unroll
        for (int kk = 0; kk < AH_BKV / 16; kk++) {
#pragma unroll
            for (int e = 0; e < 8; e++) {
                float x = ex2(fmaf(sc[8 * kk + e], sl2, -mb[(e / 2) % 2]));
                sc[8 * kk + e] = x;
                l[(e / 2) % 2] += x;
            }
#pragma unroll
            for (int r = 0; r < 4; r++)
                p[kk][r] = pack_bf16(sc[8 * kk + 2 * r], sc[8 * kk + 2 * r + 1]);
        }
        // O += P V: 16 keys (two 1024-byte swizzle groups of V) per step, 64 columns per chunk.
        wgmma_fence();
#pragma unroll
        for (int c = 0; c < DC; c++)
#pragma unroll
            for (int kk = 0; kk < AH_BKV / 16; kk++)
                wgmma_m64n64k16_rs(o[c], p[kk],
                                   wgmma_desc_mn(v_s + c * AH_BKV * AH_ROW + 2048 * kk));
        wgmma_commit();
        wgmma_wait<0>();
        mbar_arrive(&empty[s]);  // this warpgroup is done with stage s
    }
    // Finish: the quad's partial sums, divide, store (tile.cuh's rt_fl holds 16 columns).
    float inv[2];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        l[r] = tile::quad_sum(l[r]);
        inv[r] = 1.f / l[r];
    }
    __nv_bfloat16* o_head = O + (size_t)row0 * D;
#pragma unroll
    for (int c = 0; c < DC; c++)
#pragma unroll
        for (int n = 0; n < 4; n++) {
            tile::rt_fl tl;
#pragma unroll
            for (int e = 0; e < 8; e++) tl.v[e] = o[c][8 * n + e] * inv[(e / 2) % 2];
            tile::store(o_head, tl, qw, 64 * c + 16 * n, T, D, D);
        }
    if (t == 0)
        for (int r = 0; r < 2; r++) {
            int query = qw + g + 8 * r;
            if (query < T) lse[row0 + query] = m[r] * scale + logf(l[r]);
        }
}
// --8<-- [end:flash_attention_wgmma]

// Grid (ceil(T / 128), B * H), block 384 threads, dynamic shared memory AH_SHARED(D); maps:
// three CUtensorMaps (q, k, v), 128 bytes each, in device memory.
extern "C" __global__ void __launch_bounds__(384, 1) flash_attention_wgmma_d64(
        const CUtensorMap* maps, __nv_bfloat16* o, float* lse, int T, float scale, int causal) {
    flash_attention_wgmma<64>(maps, o, lse, T, scale, causal != 0);
}
extern "C" __global__ void __launch_bounds__(384, 1) flash_attention_wgmma_d128(
        const CUtensorMap* maps, __nv_bfloat16* o, float* lse, int T, float scale, int causal) {
    flash_attention_wgmma<128>(maps, o, lse, T, scale, causal != 0);
}
