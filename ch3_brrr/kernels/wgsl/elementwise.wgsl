// Elementwise kernels over strided views, one invocation per output element:
//     out[i] = f(in0[i], in1[i], in2[i]),  i = 0 .. numel-1 in row-major order of out's shape
//
// A template, as a renderer fills a kernel skeleton: ch3_brrr/kernels_wgpu.py fills each
// double-braced name per op and dtypes: the output's WGSL type, the inputs' declarations and load
// functions, the expression f, and the binding of the view table. Every view is (offset,
// strides) over a flat buffer, so broadcasts (stride 0), transposes and flips (negative
// strides) are read in place, never copied. The view table (views.wgsl) is the last binding;
// its views: out = 0, in0 = 1, in1 = 2, ...

@group(0) @binding(0) var<storage, read_write> out: array<{{OUT_T}}>;
{{OPERANDS}}
@group(0) @binding({{TABLE_BINDING}}) var<storage, read> table: array<i32>;

// --8<-- [start:elementwise]
@compute @workgroup_size(64)
fn elementwise(@builtin(workgroup_id) wid: vec3<u32>,
               @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) lane: u32) {
    // a workgroup does 256 elements, each invocation 4 of them 64 apart (neighbours in a
    // workgroup still touch neighbouring elements); fewer, fuller workgroups cost less to start
    let first = (wid.y * groups.x + wid.x) * 256u + lane;  // 2-D grid: > 65535 workgroups
    for (var j = 0u; j < 4u; j++) {
        let i = first + 64u * j;
        if (i >= u32(table[0])) { return; }
        let at = positions4(i);  // out's position, then in0's, in1's, in2's
        out[at.x] = {{EXPR}};
    }
}
// --8<-- [end:elementwise]
