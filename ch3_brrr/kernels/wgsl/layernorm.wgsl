// layer norm along the rows of a (R, C) float32 matrix:
//     out[r, c] = (x[r, c] - mean_r) / sqrt(var_r + eps) * weight[c] + bias[c]
// with the biased variance, as torch.nn.LayerNorm. Two passes for the statistics (the mean,
// then the squared deviations from it: no cancellation, unlike E[x^2] - E[x]^2), one to write.
// One workgroup per row (rows.wgsl); dims.a holds eps's bits. Launch (R, 1, 1).

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;

// --8<-- [start:layernorm]
@compute @workgroup_size(64)
fn layernorm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let row = wid.x * dims.cols;
    let n = f32(dims.cols);
    var s = 0.0;
    for (var c = lane; c < dims.cols; c += 64u) { s += x[row + c]; }
    let mean = workgroup_sum(lane, s) / n;
    var q = 0.0;
    for (var c = lane; c < dims.cols; c += 64u) {
        let d = x[row + c] - mean;
        q += d * d;
    }
    let rstd = 1.0 / sqrt(workgroup_sum(lane, q) / n + bitcast<f32>(dims.a));
    for (var c = lane; c < dims.cols; c += 64u) {
        out[row + c] = (x[row + c] - mean) * rstd * weight[c] + bias[c];
    }
}
// --8<-- [end:layernorm]
