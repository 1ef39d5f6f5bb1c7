// Gather and advanced indexing (ch2's GATHER and INDEX), one invocation per output element:
//     out[i] = x[xpos(i) + sum_k wrap(index_k[i]) * step_k]
// Every operand is a view laid over out's shape (views.wgsl): x's view has stride 0 where the
// indices choose, each index_k's view has stride 0 where it does not vary. index_k picks along
// one dim of x of length size_k and stride step_k; negative indices count from the end.
// gather(x, axis, index): one index, out's shape = index's. x[idx0, :, idx1]: two, out's shape
// numpy's. A template (kernels_wgpu.py fills T, the element type; INDICES, the index bindings
// 2 + k, read_index(k, pos) and the fault word; NINDEX; TABLE_BINDING; LOWEST, the smallest
// index allowed: 0 for gather, -size for x[idx]; FAULT, the code raised for one out of range).
// The table after its views (out = 0, x = 1, index_k = 2 + k): size_k, step_k for each k.
// NOTE: a GPU kernel cannot raise: an index out of range raises the fault word (the next
// download reports it) and reads some element of x (WGSL clamps every access to the buffer).

@group(0) @binding(0) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
{{INDICES}}
@group(0) @binding({{TABLE_BINDING}}) var<storage, read> table: array<i32>;

// --8<-- [start:index]
@compute @workgroup_size(64)
fn index(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
         @builtin(local_invocation_index) lane: u32) {
    let i = (wid.y * groups.x + wid.x) * 64u + lane;
    if (i >= u32(table[0])) { return; }
    let ndim = u32(table[1]);
    let nindex = {{NINDEX}}u;
    let extra = 2u + ndim + (2u + nindex) * (ndim + 1u);  // after the views: size_k, step_k
    var pos = position(i, 1u);
    for (var k = 0u; k < nindex; k++) {
        let size = table[extra + 2u * k];
        var chosen = read_index(k, position(i, 2u + k));
        if (chosen < {{LOWEST}} || chosen >= size) { raise_fault({{FAULT}}, chosen); }
        if (chosen < 0) { chosen += size; }
        pos += chosen * table[extra + 2u * k + 1u];
    }
    out[position(i, 0u)] = x[pos];
}
// --8<-- [end:index]
