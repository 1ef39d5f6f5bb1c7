// cross_entropy.cu: fused softmax + negative log-likelihood, forward and backward in one kernel.
//
// Shapes: logits (N, V) float32, targets (N) int64 -> loss (N) float32, dlogits (N, V) float32.
// loss[n] = log(sum_v exp(logits[n, v])) - logits[n, targets[n]], computed as m + log(l) - x_t
// with the online (max, sum) state. dlogits[n, v] = (softmax[n, v] - [v == t]) * dloss, the
// gradient of loss[n] * dloss (dloss = 1/N for a mean). A row whose target is ignore_index
// (PyTorch's -100) gets loss 0 and a zero gradient. The (N, V) probabilities never exist in
// memory: the logits are read twice and the gradient written once.

#include "reduce.cuh"

// --8<-- [start:cross_entropy_fused]
extern "C" __global__ void cross_entropy_fused(const float* logits, const long long* targets,
                                               float* loss, float* dlogits, int N, int V,
                                               float dloss, long long ignore_index) {
    __shared__ float scratch[64];
    const float* row = logits + (size_t)blockIdx.x * V;
    long long t = targets[blockIdx.x];
    bool ignored = t == ignore_index;
    MaxSum s = {-INFINITY, 0.f};
    for (int v = threadIdx.x; v < V; v += blockDim.x) s = online_merge(s, MaxSum{row[v], 1.f});
    s = block_merge(s, scratch);
    bool bad = !ignored && (t < 0 || t >= V);  // out of range: NaN, the host checks first
    if (threadIdx.x == 0) loss[blockIdx.x] = ignored ? 0.f : bad ? NAN : s.m + logf(s.l) - row[t];
    if (dlogits == nullptr) return;
    float scale = ignored ? 0.f : dloss / s.l;
    float* drow = dlogits + (size_t)blockIdx.x * V;
    for (int v = threadIdx.x; v < V; v += blockDim.x)
        drow[v] = expf(row[v] - s.m) * scale - (v == t && !ignored ? dloss : 0.f);
}
// --8<-- [end:cross_entropy_fused]
