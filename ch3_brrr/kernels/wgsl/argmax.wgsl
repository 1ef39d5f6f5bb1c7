// argmax along one axis: one workgroup per output element, as reduce.wgsl, folding
// (value, index) pairs. The first index of the maximum wins, and NaN counts as the maximum,
// as in torch.argmax. A template: IN_T is f32 or i32, IS_NAN its NaN test.
// The table (i32), as reduce.wgsl's with nred = 1:
//     [0] n_out, [1] n_red, [2] nkeep, [3] 1, keep shape, n_red,
//     out: offset, strides[nkeep]; x: offset, strides[nkeep], stride along the axis

@group(0) @binding(0) var<storage, read_write> out: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<{{IN_T}}>;
@group(0) @binding(2) var<storage, read> table: array<i32>;

var<workgroup> best_value: array<{{IN_T}}, 64>;
var<workgroup> best_index: array<i32, 64>;

fn is_nan(v: {{IN_T}}) -> bool { return {{IS_NAN}}; }

// does (v, i) beat the current best (bv, bi)? larger, or NaN, or equal with a smaller index
fn beats(v: {{IN_T}}, i: i32, bv: {{IN_T}}, bi: i32) -> bool {
    if (bi < 0) { return i >= 0; }  // -1: nothing seen yet
    if (i < 0) { return false; }
    if (is_nan(bv)) { return is_nan(v) && i < bi; }
    if (is_nan(v) || v > bv) { return true; }
    return v == bv && i < bi;
}

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

// --8<-- [start:argmax]
@compute @workgroup_size(64)
fn argmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) lane: u32) {
    let j = wid.y * groups.x + wid.x;
    let n_out = u32(table[0]);
    let n_red = u32(table[1]);
    let nkeep = u32(table[2]);
    let out_view = 5u + nkeep;
    let x_view = out_view + 1u + nkeep;
    if (j >= n_out) { return; }
    let x_base = table[x_view] + unravel_dot(j, 4u, nkeep, x_view + 1u);
    let step = table[x_view + 1u + nkeep];
    var bv = x[x_base];  // any value: bi = -1 marks it unset
    var bi = -1;
    for (var r = lane; r < n_red; r += 64u) {
        let v = x[x_base + i32(r) * step];
        if (beats(v, i32(r), bv, bi)) { bv = v; bi = i32(r); }
    }
    best_value[lane] = bv;
    best_index[lane] = bi;
    for (var half = 32u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if (lane < half && beats(best_value[lane + half], best_index[lane + half],
                                 best_value[lane], best_index[lane])) {
            best_value[lane] = best_value[lane + half];
            best_index[lane] = best_index[lane + half];
        }
    }
    if (lane == 0u) {
        out[table[out_view] + unravel_dot(j, 4u, nkeep, out_view + 1u)] = best_index[0];
    }
}
// --8<-- [end:argmax]
