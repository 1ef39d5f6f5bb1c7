// The adjoint of index.wgsl: index_put (out[indices] = src, or += src), each output element
// summing what lands on it (scatter_add.wgsl does the same for gather's adjoint). WGSL has no
// float atomics, so no invocation adds into another's element: element e of out loops over
// every index position b and takes the src elements whose indices name e. O(out * indices)
// work, and deterministic: the same sum in the same order every run, unlike atomics. out
// already holds x (a copy kernel ran first).
//
// Positions live in the space of the indices' broadcast shape B (nb dims). For out element e
// with coordinates c: position b matches when wrap(index_k[b]) == c[dim_k] for every k; src's
// element for (c, b) is at
// src_offset + dot(c, src_strides_c) + dot(b, src_strides_b).
// Table (i32), after views.wgsl's (over out's shape: out = 0, then src's c-strides = 1):
//     nb, B shape, then per k: dim_k, size_k, index_k's offset and strides over B,
//     then src's strides over B
// A template: kernels_wgpu.py fills T, INDICES (bindings 2 + k, read_index(k, pos) and the
// fault word), NINDEX, TABLE_BINDING, ACCUMULATE and FAULT (the code an index out of range
// raises: a GPU kernel cannot throw, the next download reports it).

@group(0) @binding(0) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(1) var<storage, read> src: array<{{T}}>;
{{INDICES}}
@group(0) @binding({{TABLE_BINDING}}) var<storage, read> table: array<i32>;

// coordinate d of element i unravelled over the shape at table[first .. first+n)
fn coordinate(i: u32, first: u32, n: u32, d: u32) -> i32 {
    var rest = i;
    for (var e = n - 1u; e > d; e--) { rest /= u32(table[first + e]); }
    return i32(rest % u32(table[first + d]));
}

// --8<-- [start:index_put]
@compute @workgroup_size(64)
fn index_put(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) lane: u32) {
    let e = (wid.y * groups.x + wid.x) * 64u + lane;
    if (e >= u32(table[0])) { return; }
    let ndim = u32(table[1]);
    let nindex = {{NINDEX}}u;
    let bshape = 2u + ndim + 2u * (ndim + 1u) + 1u;  // table[bshape - 1] = nb
    let nb = u32(table[bshape - 1u]);
    let per_index = 3u + nb;  // dim, size, index_k's offset, its strides[nb]
    let src_b = bshape + nb + nindex * per_index;  // src's strides over B
    var count = 1u;
    for (var d = 0u; d < nb; d++) { count *= u32(table[bshape + d]); }
    let base = position(e, 1u);  // src's offset + dot(c, src's c-strides)
    var acc = {{T}}(0);
    var last = out[position(e, 0u)];
    var hit = false;
    for (var b = 0u; b < count; b++) {
        var matches = true;
        for (var k = 0u; k < nindex; k++) {
            let at = bshape + nb + k * per_index;
            let dim = u32(table[at]);
            var ipos = table[at + 2u];  // index_k's offset, then its strides over B
            for (var d = 0u; d < nb; d++) {
                ipos += coordinate(b, bshape, nb, d) * table[at + 3u + d];
            }
            let size = table[at + 1u];
            var chosen = read_index(k, ipos);
            if (chosen < -size || chosen >= size) { raise_fault({{FAULT}}, chosen); }
            if (chosen < 0) { chosen += size; }
            matches = matches && chosen == coordinate(e, 2u, ndim, dim);
        }
        if (matches) {
            var s = base;
            for (var d = 0u; d < nb; d++) {
                s += coordinate(b, bshape, nb, d) * table[src_b + d];
            }
            acc += src[s];
            last = src[s];
            hit = true;
        }
    }
    if ({{ACCUMULATE}}) {
        out[position(e, 0u)] += acc;
    } else if (hit) {
        out[position(e, 0u)] = last;  // duplicates: the last write wins, as in numpy
    }
}
// --8<-- [end:index_put]
