// softmax along the rows of a (R, C) float32 matrix: out[r, c] = exp(x[r, c] - m_r) / s_r,
// m_r = max_c x[r, c] (so no exp overflows), s_r = sum_c exp(x[r, c] - m_r). Three passes over
// the row: max, sum, write. One workgroup per row (rows.wgsl). Launch (R, 1, 1), R <= 65535.

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;

// --8<-- [start:softmax]
@compute @workgroup_size(64)
fn softmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let row = wid.x * dims.cols;
    var m = bitcast<f32>(0xff800000u);  // -inf
    for (var c = lane; c < dims.cols; c += 64u) { m = max(m, x[row + c]); }
    m = workgroup_max(lane, m);
    var s = 0.0;
    for (var c = lane; c < dims.cols; c += 64u) { s += exp(x[row + c] - m); }
    s = workgroup_sum(lane, s);
    for (var c = lane; c < dims.cols; c += 64u) { out[row + c] = exp(x[row + c] - m) / s; }
}
// --8<-- [end:softmax]
