// layernorm.cu: layer normalization over the rows of a float32 matrix.
//
// Shapes: x (N, C), weight (C), bias (C) -> y (N, C), mean (N), rstd (N).
// y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps), var the biased variance
// (PyTorch's). mean and rstd are saved for the backward pass. Memory-bound like softmax: the
// floor is one read of x and one write of y.
//   rung 1: one block per row, three passes over global memory (mean, variance, write).
//   rung 2: the row kept in registers (float4): one read, one write; the variance is computed
//           from the registers in a second, exact pass (no E[x^2] - E[x]^2 cancellation).
//           Rows longer than 8192 fall back to rung 1.
#include "reduce.cuh"

// --8<-- [start:layernorm_v1_block]
extern "C" __global__ void layernorm_v1_block(const float* x, const float* w, const float* b,
                                              float* y, float* mean, float* rstd, int N, int C,
                                              float eps) {
    __shared__ float scratch[32];
    const float* row = x + (size_t)blockIdx.x * C;
    float s = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) s += row[c];
    float mu = block_sum(s, scratch) / C;
    float ss = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) ss += (row[c] - mu) * (row[c] - mu);
    float r = rsqrtf(block_sum(ss, scratch) / C + eps);
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        y[(size_t)blockIdx.x * C + c] = (row[c] - mu) * r * w[c] + b[c];
    if (threadIdx.x == 0) { mean[blockIdx.x] = mu; rstd[blockIdx.x] = r; }
}
// --8<-- [end:layernorm_v1_block]

#define VPT 8  // float4s per thread: 256 threads x 8 x 4 = rows up to 8192
__device__ __forceinline__ float4 ld4(const float* p, int c, int C) {
    if ((C & 3) == 0 && c + 3 < C) return *reinterpret_cast<const float4*>(p + c);
    return make_float4(c < C ? p[c] : 0.f, c + 1 < C ? p[c + 1] : 0.f,
                       c + 2 < C ? p[c + 2] : 0.f, c + 3 < C ? p[c + 3] : 0.f);
}

// --8<-- [start:layernorm_v2_registers]
extern "C" __global__ void __launch_bounds__(256) layernorm_v2_registers(
        const float* x, const float* w, const float* b, float* y, float* mean, float* rstd,
        int N, int C, float eps) {
    __shared__ float scratch[32];
    const float* row = x + (size_t)blockIdx.x * C;
    float4 v[VPT];
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < VPT; i++) {
        v[i] = ld4(row, (threadIdx.x + i * 256) * 4, C);  // padding is 0: adds nothing to s
        s += (v[i].x + v[i].y) + (v[i].z + v[i].w);
    }
    float mu = block_sum(s, scratch) / C;
    float ss = 0.f;
#pragma unroll
    for (int i = 0; i < VPT; i++) {
        int c = (threadIdx.x + i * 256) * 4;  // padding must not add (0 - mu)^2
        float dx = v[i].x - mu, dy = v[i].y - mu, dz = v[i].z - mu, dw = v[i].w - mu;
        ss += (c < C ? dx * dx : 0.f) + (c + 1 < C ? dy * dy : 0.f) +
              (c + 2 < C ? dz * dz : 0.f) + (c + 3 < C ? dw * dw : 0.f);
    }
    float r = rsqrtf(block_sum(ss, scratch) / C + eps);
    float* out = y + (size_t)blockIdx.x * C;
#pragma unroll
    for (int i = 0; i < VPT; i++) {
        int c = (threadIdx.x + i * 256) * 4;
        float4 wv = ld4(w, c, C), bv = ld4(b, c, C);
        float4 o = make_float4((v[i].x - mu) * r * wv.x + bv.x, (v[i].y - mu) * r * wv.y + bv.y,
                               (v[i].z - mu) * r * wv.z + bv.z, (v[i].w - mu) * r * wv.w + bv.w);
        if ((C & 3) == 0 && c + 3 < C) {
            *reinterpret_cast<float4*>(out + c) = o;
        } else {
            if (c < C) out[c] = o.x;
            if (c + 1 < C) out[c + 1] = o.y;
            if (c + 2 < C) out[c + 2] = o.z;
            if (c + 3 < C) out[c + 3] = o.w;
        }
    }
    if (threadIdx.x == 0) { mean[blockIdx.x] = mu; rstd[blockIdx.x] = r; }
}
// --8<-- [end:layernorm_v2_registers]
