// attention.cu: flash attention forward (FlashAttention-2's schedule) in tile algebra.
//
// Shapes: q, k, v (B, H, T, D) bf16, contiguous -> o (B, H, T, D) bf16, lse (B, H, T) fp32.
// o = softmax(q k^T * scale [+ causal mask]) v, computed a block of 64 queries at a time without
// ever writing the (T, T) score matrix: for each block of 64 keys the scores S live in
// registers, the online softmax rescales what was accumulated so far, and P = exp(S - m) goes
// straight into the next tensor-core product as a bf16 operand. lse = m + log(l) per query (in
// natural log) is what a backward pass needs. D is 64 or 128 (one kernel each); T is free.
#include "tile.cuh"

using namespace tile;

#define BQ 64   // queries per block: 4 warps x 16 rows
#define BKV 64  // keys per step

template <int D>
struct AttnSmem {
    st_bf<BQ, D> q;
    st_bf<BKV, D> k[2];  // double buffer: block j+1 loads while block j computes
    st_bf<BKV, D> v[2];
};

// --8<-- [start:flash_attention]
template <int D>
__device__ void flash_attention(const __nv_bfloat16* Q, const __nv_bfloat16* K,
                                const __nv_bfloat16* V, __nv_bfloat16* O, float* lse, int T,
                                float scale, bool causal) {
    extern __shared__ __align__(1024) unsigned char smem_raw[];
    AttnSmem<D>& sm = *reinterpret_cast<AttnSmem<D>*>(smem_raw);
    int nq = (T + BQ - 1) / BQ;
    int qb = causal ? nq - 1 - blockIdx.x : blockIdx.x;  // causal: longest rows first
    size_t head = (size_t)blockIdx.y * T * D;
    Q += head; K += head; V += head; O += head;
    int warp = threadIdx.x / 32, q0 = qb * BQ, qw = q0 + 16 * warp;  // this warp's first row
    int nkv = causal ? min((q0 + BQ + BKV - 1) / BKV, (T + BKV - 1) / BKV) : (T + BKV - 1) / BKV;

    load_async(sm.q, Q, q0, 0, T, D, D, threadIdx.x, 128);
    load_async(sm.k[0], K, 0, 0, T, D, D, threadIdx.x, 128);
    load_async(sm.v[0], V, 0, 0, T, D, D, threadIdx.x, 128);
    cp_async_commit();

    const float sl2 = scale * 1.4426950408889634f;  // exp(x) = exp2(x * log2 e)
    rt_bf qf[D / 16];
    rt_fl o[D / 16];
    for (int d = 0; d < D / 16; d++) zero(o[d]);
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};  // rows g and g+8 of the warp

    for (int j = 0; j < nkv; j++) {
        cp_async_wait<0>();
        __syncthreads();  // block j is in shared memory, and block j-1's buffers are free
        if (j + 1 < nkv) {
            load_async(sm.k[(j + 1) % 2], K, (j + 1) * BKV, 0, T, D, D, threadIdx.x, 128);
            load_async(sm.v[(j + 1) % 2], V, (j + 1) * BKV, 0, T, D, D, threadIdx.x, 128);
        }
        cp_async_commit();
        if (j == 0)
            for (int d = 0; d < D / 16; d++) load(qf[d], sm.q, 16 * warp, 16 * d);
        st_bf<BKV, D>& ks = sm.k[j % 2];
        st_bf<BKV, D>& vs = sm.v[j % 2];

        // S = Q K^T for this warp's 16 queries and the block's 64 keys: 4 tiles of 16x16.
        rt_fl s[BKV / 16];
        for (int n = 0; n < BKV / 16; n++) {
            zero(s[n]);
            for (int d = 0; d < D / 16; d++) {
                rt_bf kt;
                load(kt, ks, 16 * n, 16 * d);
                mma_ABt(s[n], qf[d], kt);
            }
        }
        // Scale to log2 units; mask keys past T and, if causal, keys after the query.
        for (int n = 0; n < BKV / 16; n++)
            for (int e = 0; e < 8; e++) {
                int key = j * BKV + 16 * n + lane_col(e), query = qw + lane_row(e);
                bool masked = key >= T || (causal && key > query);
                s[n].v[e] = masked ? -INFINITY : s[n].v[e] * sl2;
            }
        // Online softmax: new running max, rescale the old sum and the old output.
        float m_new[2] = {m[0], m[1]};
        for (int n = 0; n < BKV / 16; n++) row_max(m_new, s[n]);
        float corr[2], base[2];
        for (int r = 0; r < 2; r++) {
            base[r] = m_new[r] == -INFINITY ? 0.f : m_new[r];  // a row with nothing seen yet
            corr[r] = exp2f(m[r] - base[r]);
            l[r] *= corr[r];
            m[r] = m_new[r];
        }
        for (int d = 0; d < D / 16; d++) mul_row(o[d], corr);
        // P = exp2(S - m), as bf16 operands; O += P V.
        rt_bf p[BKV / 16];
        for (int n = 0; n < BKV / 16; n++) {
            for (int e = 0; e < 8; e++) s[n].v[e] = exp2f(s[n].v[e] - base[(e >> 1) & 1]);
            row_sum_partial(l, s[n]);
            convert(p[n], s[n]);
        }
        for (int n = 0; n < BKV / 16; n++)
            for (int d = 0; d < D / 16; d++) {
                rt_bf vt;
                load_trans(vt, vs, 16 * n, 16 * d);
                mma_AB(o[d], p[n], vt);
            }
    }
    // Finish: combine the quad's partial sums, divide, store; lse in natural-log units.
    float inv[2];
    for (int r = 0; r < 2; r++) {
        l[r] = quad_sum(l[r]);
        inv[r] = 1.f / l[r];
    }
    for (int d = 0; d < D / 16; d++) {
        mul_row(o[d], inv);
        store(O, o[d], qw, 16 * d, T, D, D);
    }
    if ((threadIdx.x & 3) == 0)
        for (int r = 0; r < 2; r++) {
            int query = qw + lane_row(2 * r);
            if (query < T)
                lse[(size_t)blockIdx.y * T + query] = (m[r] + log2f(l[r])) / 1.4426950408889634f;
        }
}
// --8<-- [end:flash_attention]

// Grid (ceil(T / 64), B * H), block 128 threads, dynamic shared memory sizeof(AttnSmem<D>).
extern "C" __global__ void __launch_bounds__(128) flash_attention_d64(
        const __nv_bfloat16* q, const __nv_bfloat16* k, const __nv_bfloat16* v,
        __nv_bfloat16* o, float* lse, int T, float scale, int causal) {
    flash_attention<64>(q, k, v, o, lse, T, scale, causal != 0);
}
extern "C" __global__ void __launch_bounds__(128) flash_attention_d128(
        const __nv_bfloat16* q, const __nv_bfloat16* k, const __nv_bfloat16* v,
        __nv_bfloat16* o, float* lse, int T, float scale, int causal) {
    flash_attention<128>(q, k, v, o, lse, T, scale, causal != 0);
}
