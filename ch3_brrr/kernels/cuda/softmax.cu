// softmax.cu: softmax over the rows of a float32 matrix, y[n, :] = exp(x[n, :] - m) / l.
//
// Shapes: x (N, C) -> y (N, C), row-major, contiguous. m = max of the row (so exp never
// overflows), l = sum of exp(x - m). Softmax is memory-bound: the floor is reading x once and
// writing y once, so each rung is judged by GB/s against a device-to-device copy.
//   rung 1: one thread per row, three passes over the row (max, sum, write): uncoalesced.
//   rung 2: one block per row, shared-memory reductions, still three passes over global memory.
//   rung 3: online softmax: max and sum in ONE pass (rescaling the sum when the max grows),
//           then the write pass: two reads instead of three.
//   rung 4: the row kept in registers (float4 loads): one read and one write, the floor.
//           Rows longer than 8192 fall back to rung 3.
#include "reduce.cuh"

// --8<-- [start:softmax_v1_naive]
extern "C" __global__ void softmax_v1_naive(const float* x, float* y, int N, int C) {
    int n = blockIdx.x * blockDim.x + threadIdx.x;
    if (n >= N) return;
    const float* row = x + (size_t)n * C;
    float m = -INFINITY, l = 0.f;
    for (int c = 0; c < C; c++) m = fmaxf(m, row[c]);
    for (int c = 0; c < C; c++) l += expf(row[c] - m);
    for (int c = 0; c < C; c++) y[(size_t)n * C + c] = expf(row[c] - m) / l;
}
// --8<-- [end:softmax_v1_naive]

// --8<-- [start:softmax_v2_block]
// One block per row: its threads stride over the row together (coalesced), then reduce.
extern "C" __global__ void softmax_v2_block(const float* x, float* y, int N, int C) {
    __shared__ float scratch[32];
    const float* row = x + (size_t)blockIdx.x * C;
    float m = -INFINITY, l = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) m = fmaxf(m, row[c]);
    m = block_max(m, scratch);
    for (int c = threadIdx.x; c < C; c += blockDim.x) l += expf(row[c] - m);
    l = block_sum(l, scratch);
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        y[(size_t)blockIdx.x * C + c] = expf(row[c] - m) / l;
}
// --8<-- [end:softmax_v2_block]

// --8<-- [start:softmax_v3_online]
// Each thread keeps (max, sum) for its strided part of the row, updated per element; the
// block merges the states (online_merge), then one pass writes.
extern "C" __global__ void softmax_v3_online(const float* x, float* y, int N, int C) {
    __shared__ float scratch[64];
    const float* row = x + (size_t)blockIdx.x * C;
    MaxSum s = {-INFINITY, 0.f};
    for (int c = threadIdx.x; c < C; c += blockDim.x) s = online_merge(s, MaxSum{row[c], 1.f});
    s = block_merge(s, scratch);
    float inv = 1.f / s.l;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        y[(size_t)blockIdx.x * C + c] = expf(row[c] - s.m) * inv;
}
// --8<-- [end:softmax_v3_online]

// Element c of a row (zero-padded): a float4 at a time when C is a multiple of 4.
#define VPT 8  // float4s per thread in rung 4: 256 threads x 8 x 4 = rows up to 8192
__device__ __forceinline__ float4 row_load4(const float* row, int c, int C, float pad) {
    if ((C & 3) == 0 && c + 3 < C) return *reinterpret_cast<const float4*>(row + c);
    return make_float4(c < C ? row[c] : pad, c + 1 < C ? row[c + 1] : pad,
                       c + 2 < C ? row[c + 2] : pad, c + 3 < C ? row[c + 3] : pad);
}
__device__ __forceinline__ void row_store4(float* row, int c, int C, float4 v) {
    if ((C & 3) == 0 && c + 3 < C) { *reinterpret_cast<float4*>(row + c) = v; return; }
    if (c < C) row[c] = v.x;
    if (c + 1 < C) row[c + 1] = v.y;
    if (c + 2 < C) row[c + 2] = v.z;
    if (c + 3 < C) row[c + 3] = v.w;
}

// --8<-- [start:softmax_v4_registers]
// Block of 256 threads per row; thread t holds float4s t, t+256, ... (VPT of them) in
// registers, all loads issued before the first use. Padding is -inf, which adds exp(-inf) = 0.
extern "C" __global__ void __launch_bounds__(256) softmax_v4_registers(const float* x, float* y,
                                                                      int N, int C) {
    __shared__ float scratch[32];
    const float* row = x + (size_t)blockIdx.x * C;
    float4 v[VPT];
#pragma unroll
    for (int i = 0; i < VPT; i++) v[i] = row_load4(row, (threadIdx.x + i * 256) * 4, C, -INFINITY);
    float m = -INFINITY;
#pragma unroll
    for (int i = 0; i < VPT; i++) m = fmaxf(m, fmaxf(fmaxf(v[i].x, v[i].y), fmaxf(v[i].z, v[i].w)));
    m = block_max(m, scratch);
    float l = 0.f;
#pragma unroll
    for (int i = 0; i < VPT; i++) {
        v[i] = make_float4(expf(v[i].x - m), expf(v[i].y - m), expf(v[i].z - m), expf(v[i].w - m));
        l += (v[i].x + v[i].y) + (v[i].z + v[i].w);
    }
    float inv = 1.f / block_sum(l, scratch);
    float* out = y + (size_t)blockIdx.x * C;
#pragma unroll
    for (int i = 0; i < VPT; i++)
        row_store4(out, (threadIdx.x + i * 256) * 4, C,
                   make_float4(v[i].x * inv, v[i].y * inv, v[i].z * inv, v[i].w * inv));
}
// --8<-- [end:softmax_v4_registers]
