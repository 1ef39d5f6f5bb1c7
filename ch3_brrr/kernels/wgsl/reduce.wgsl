// Reductions along any set of axes: one workgroup per output element.
//     out[j] = COMBINE over r of x[j, r],  j over the kept axes, r over the reduced ones
//
// A template (ch3_brrr/kernels_wgpu.py fills the double-braced names). The
// 64 invocations of a workgroup each fold every 64th element of the reduced range, then fold
// their 64 partial results pairwise in workgroup memory (a tree: log2(64) = 6 rounds). For a
// sum of n terms this also bounds the rounding error better than one long loop: about
// (n/64 + 6) eps instead of n eps. The view table `table` (i32):
//     [0] n_out, [1] n_red, [2] nkeep, [3] nred, keep shape, reduced shape,
//     out: offset, strides[nkeep]; x: offset, strides[nkeep], strides[nred]

@group(0) @binding(0) var<storage, read_write> out: array<{{OUT_T}}>;
@group(0) @binding(1) var<storage, read> x: array<{{IN_T}}>;
@group(0) @binding(2) var<storage, read> table: array<i32>;

var<workgroup> partial: array<{{OUT_T}}, 64>;

fn combine(a: {{OUT_T}}, b: {{OUT_T}}) -> {{OUT_T}} { return {{COMBINE}}; }
fn to_out(v: {{IN_T}}) -> {{OUT_T}} { return {{TO_OUT}}; }

// the offset contributed by index `i` unravelled over dims [first, first+n) of the shape table,
// with the strides at table[strides ..]
fn unravel_dot(i: u32, first: u32, n: u32, strides: u32) -> i32 {
    var pos = 0;
    var rest = i;
    for (var d = n; d > 0u; d--) {
        let size = u32(table[first + d - 1u]);
        pos += i32(rest % size) * table[strides + d - 1u];
        rest /= size;
    }
    return pos;
}

// --8<-- [start:reduce]
@compute @workgroup_size(64)
fn reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) lane: u32) {
    let j = wid.y * groups.x + wid.x;  // this workgroup's output element
    let n_out = u32(table[0]);
    let n_red = u32(table[1]);
    let nkeep = u32(table[2]);
    let nred = u32(table[3]);
    let out_view = 4u + nkeep + nred;
    let x_view = out_view + 1u + nkeep;
    if (j >= n_out) { return; }  // uniform per workgroup: the barriers below stay safe
    let x_base = table[x_view] + unravel_dot(j, 4u, nkeep, x_view + 1u);
    var acc = {{OUT_T}}({{IDENTITY}});
    for (var r = lane; r < n_red; r += 64u) {
        let value = to_out(x[x_base + unravel_dot(r, 4u + nkeep, nred, x_view + 1u + nkeep)]);
        acc = combine(acc, value);
    }
    partial[lane] = acc;
    for (var half = 32u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if (lane < half) { partial[lane] = combine(partial[lane], partial[lane + half]); }
    }
    if (lane == 0u) {
        out[table[out_view] + unravel_dot(j, 4u, nkeep, out_view + 1u)] = partial[0];
    }
}
// --8<-- [end:reduce]
