// scatter_add along one axis (ch2's SCATTER_ADD, the backward of gather):
//     out[.., index[.., t, ..], ..] += src[.., t, ..]
// with out already holding x (a copy kernel ran first). As in index_put.wgsl, no atomics:
// element c of out loops over t along the axis of index, the other coordinates fixed to c's,
// and adds the src elements whose index names c[axis]. O(out x index's length along the axis).
// A template (T; FAULT_DECL, the fault word at binding 3, and FAULT, the code an index outside
// [0, size) raises: a GPU kernel cannot throw, the next download reports it). The table after
// views.wgsl's (over out's shape, out = view 0):
//     axis, index's shape[ndim], index: offset, strides[ndim]; src: offset, strides[ndim]

@group(0) @binding(0) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(1) var<storage, read> src: array<{{T}}>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
{{FAULT_DECL}}
@group(0) @binding(4) var<storage, read> table: array<i32>;

// --8<-- [start:scatter_add]
@compute @workgroup_size(64)
fn scatter_add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) lane: u32) {
    let e = (wid.y * groups.x + wid.x) * 64u + lane;
    if (e >= u32(table[0])) { return; }
    let ndim = u32(table[1]);
    let at = 2u + ndim + (ndim + 1u);  // past out's view
    let axis = u32(table[at]);
    let ishape = at + 1u;
    let iview = ishape + ndim;
    let sview = iview + 1u + ndim;
    var ipos = table[iview];
    var spos = table[sview];
    var mine = 0;  // e's coordinate along the axis
    var inside = true;  // index (and src) may be smaller than out off the axis
    var rest = e;
    for (var d = ndim; d > 0u; d--) {
        let c = i32(rest % u32(table[1u + d]));
        rest /= u32(table[1u + d]);
        if (d - 1u == axis) {
            mine = c;
        } else {
            inside = inside && c < table[ishape + d - 1u];
            ipos += c * table[iview + d];
            spos += c * table[sview + d];
        }
    }
    if (!inside) { return; }
    var acc = {{T}}(0);
    let size = table[2u + axis];  // out's length along the axis
    for (var t = 0; t < table[ishape + axis]; t++) {
        let chosen = index[ipos + t * table[iview + 1u + axis]];
        if (chosen < 0 || chosen >= size) { raise_fault({{FAULT}}, chosen); }
        if (chosen == mine) { acc += src[spos + t * table[sview + 1u + axis]]; }
    }
    out[position(e, 0u)] += acc;
}
// --8<-- [end:scatter_add]
