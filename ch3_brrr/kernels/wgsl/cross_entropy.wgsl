// cross-entropy of rows of logits against integer targets, one loss per row:
//     loss[r] = logsumexp_c(x[r, c]) - x[r, targets[r]] = m_r + log(sum_c exp(x[r, c] - m_r))
//               - x[r, targets[r]]
// m_r the row's max, so no exp overflows. A target equal to dims.a (ignore_index) gives 0; one
// outside [0, C) gives 0 and raises the fault word (code dims.b, the value; the host reports
// it at the next read, as for gather). One workgroup per row (rows.wgsl); targets are i32
// (int64 on device "wgpu"). Launch (R, 1, 1).

@group(0) @binding(0) var<storage, read_write> loss: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> fault: array<atomic<i32>>;
@group(0) @binding(4) var<uniform> dims: Dims;

// --8<-- [start:cross_entropy]
@compute @workgroup_size(64)
fn cross_entropy(@builtin(workgroup_id) wid: vec3<u32>,
                 @builtin(local_invocation_index) lane: u32) {
    let row = wid.x * dims.cols;
    var m = bitcast<f32>(0xff800000u);
    for (var c = lane; c < dims.cols; c += 64u) { m = max(m, x[row + c]); }
    m = workgroup_max(lane, m);
    var s = 0.0;
    for (var c = lane; c < dims.cols; c += 64u) { s += exp(x[row + c] - m); }
    s = workgroup_sum(lane, s);
    let t = targets[wid.x];
    let ignored = t == i32(dims.a);
    let bad = !ignored && (t < 0 || t >= i32(dims.cols));
    if (lane == 0u) {
        if (bad) {
            atomicMax(&fault[0], i32(dims.b));
            atomicStore(&fault[1], t);
        }
        loss[wid.x] = select(m + log(s) - x[row + u32(t)], 0.0, ignored || bad);
    }
}
// --8<-- [end:cross_entropy]
