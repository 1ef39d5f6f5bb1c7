// reduce.cuh: warp and block reductions for the row kernels (softmax, layernorm, cross-entropy).
//
// A warp reduces with butterfly shuffles (every lane ends with the result, no shared memory);
// a block reduces each warp, passes the 32 partials through shared memory, and reduces again.
#pragma once

// --8<-- [start:warp_reduce]
__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) x += __shfl_xor_sync(0xffffffff, x, off);
    return x;
}
__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffff, x, off));
    return x;
}
// --8<-- [end:warp_reduce]

// Block-wide reductions; every thread gets the result. `scratch` holds >= 32 floats and may be
// reused after the call returns (the trailing barrier protects it).
__device__ __forceinline__ float block_sum(float x, float* scratch) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, nwarps = (blockDim.x + 31) / 32;
    x = warp_sum(x);
    if (lane == 0) scratch[warp] = x;
    __syncthreads();
    x = lane < nwarps ? scratch[lane] : 0.f;
    x = warp_sum(x);
    __syncthreads();
    return x;
}
__device__ __forceinline__ float block_max(float x, float* scratch) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, nwarps = (blockDim.x + 31) / 32;
    x = warp_max(x);
    if (lane == 0) scratch[warp] = x;
    __syncthreads();
    x = lane < nwarps ? scratch[lane] : -INFINITY;
    x = warp_max(x);
    __syncthreads();
    return x;
}

// --8<-- [start:online_merge]
// The running state of an online softmax over a row: m = max seen so far, l = sum of exp(x - m).
// Merging two states rescales the sum of the one with the smaller max; this is the step that
// lets a row be read once (softmax v3, cross-entropy) or in blocks (flash attention).
struct MaxSum { float m, l; };
__device__ __forceinline__ MaxSum online_merge(MaxSum a, MaxSum b) {
    // EXERCISE 3.9: return the state of the union: the larger max, each sum rescaled to it
    float m = fmaxf(a.m, b.m);
    if (m == -INFINITY) return {m, 0.f};  // both empty: avoid (-inf) - (-inf) = NaN
    return {m, a.l * expf(a.m - m) + b.l * expf(b.m - m)};
    // END EXERCISE
}
// --8<-- [end:online_merge]

__device__ __forceinline__ MaxSum warp_merge(MaxSum s) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        MaxSum o = {__shfl_xor_sync(0xffffffff, s.m, off), __shfl_xor_sync(0xffffffff, s.l, off)};
        s = online_merge(s, o);
    }
    return s;
}
__device__ __forceinline__ MaxSum block_merge(MaxSum s, float* scratch) {  // scratch: 64 floats
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, nwarps = (blockDim.x + 31) / 32;
    s = warp_merge(s);
    if (lane == 0) { scratch[warp] = s.m; scratch[32 + warp] = s.l; }
    __syncthreads();
    s = lane < nwarps ? MaxSum{scratch[lane], scratch[32 + lane]} : MaxSum{-INFINITY, 0.f};
    s = warp_merge(s);
    __syncthreads();
    return s;
}
