// Stable argsort along one axis, one invocation per element: the rank of x[line, i] is the
// number of elements of its line that sort before it (smaller, or equal with a smaller index;
// NaN sorts as the largest, as in torch.sort), and out[line, rank] = i. O(n) work per element,
// O(n^2) per line: simple and parallel, for the short lines (vocabularies, top-k) it serves.
// A template: T is f32 or i32, IS_NAN its NaN test, DESCENDING true or false. Table (i32):
//     [0] n_lines, [1] n (the axis' length), [2] nkeep, keep shape,
//     x: offset, keep strides, axis stride; out: the same

@group(0) @binding(0) var<storage, read_write> out: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read> table: array<i32>;

fn line_offset(line: u32, view: u32) -> i32 {  // view: where the offset and strides start
    let nkeep = u32(table[2]);
    var pos = table[view];
    var rest = line;
    for (var d = nkeep; d > 0u; d--) {
        let size = u32(table[2u + d]);
        pos += i32(rest % size) * table[view + d];
        rest /= size;
    }
    return pos;
}

fn is_nan(v: {{T}}) -> bool { return {{IS_NAN}}; }  // by the bits: `v != v` may be folded

// does a (at index ia) sort before b (at index ib)? NaN is the largest value
fn before(a: {{T}}, ia: u32, b: {{T}}, ib: u32) -> bool {
    let a_nan = is_nan(a);
    let b_nan = is_nan(b);
    var less = !a_nan && (b_nan || a < b);
    var equal = (a_nan && b_nan) || a == b;
    if ({{DESCENDING}}) { less = !b_nan && (a_nan || a > b); }
    return less || (equal && ia < ib);
}

// --8<-- [start:argsort]
@compute @workgroup_size(64)
fn argsort(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
           @builtin(local_invocation_index) lane: u32) {
    let n = u32(table[1]);
    let e = (wid.y * groups.x + wid.x) * 64u + lane;
    if (e >= u32(table[0]) * n) { return; }
    let line = e / n;
    let i = e % n;
    let nkeep = u32(table[2]);
    let x_view = 3u + nkeep;
    let out_view = x_view + nkeep + 2u;
    let x0 = line_offset(line, x_view);
    let xs = table[x_view + nkeep + 1u];
    let mine = x[x0 + i32(i) * xs];
    var rank = 0;
    for (var j = 0u; j < n; j++) {
        if (before(x[x0 + i32(j) * xs], j, mine, i)) { rank++; }
    }
    out[line_offset(line, out_view) + rank * table[out_view + nkeep + 1u]] = i32(i);
}
// --8<-- [end:argsort]
