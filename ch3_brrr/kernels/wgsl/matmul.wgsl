// The WGSL matmul ladder: C (M,N) = A (M,K) @ B (K,N), float32, row-major.
//
// rung 1: naive, one invocation per output, reads A and B from storage      (the baseline)
// rung 2: workgroup-memory tiling 16x16, each input element read once per tile from storage
// rung 3: register tiling 4x4 per invocation, vec4 loads, 64x64 tiles in workgroup memory
//
// Every rung takes the same uniform `dims` (M, N, K) and handles sizes that are not multiples
// of its tile by bounds checks. Rung 3 reads rows as vec4<f32>: its A, B and C have rows padded
// with zeros to a multiple of 4 floats (16 bytes), like the leading dimension of a BLAS call.
// Launch: rungs 1 and 2 dispatch (ceil(N/16), ceil(M/16)) workgroups; rung 3 (ceil(N/64),
// ceil(M/64)). Bindings: 0 = A, 1 = B, 2 = C, 3 = dims.

struct Dims { M: u32, N: u32, K: u32, pad: u32 }

// --8<-- [start:matmul_v1_naive]
// rung 1. Shapes: A (M,K), B (K,N) -> C (M,N); invocation (x, y) computes C[y, x].
@group(0) @binding(0) var<storage, read> a1: array<f32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> c1: array<f32>;
@group(0) @binding(3) var<uniform> dims1: Dims;

@compute @workgroup_size(16, 16)
fn matmul_v1_naive(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = gid.y;
    let col = gid.x;
    if (row >= dims1.M || col >= dims1.N) { return; }
    var acc = 0.0;
    for (var k = 0u; k < dims1.K; k++) {
        acc += a1[row * dims1.K + k] * b1[k * dims1.N + col];
    }
    c1[row * dims1.N + col] = acc;
}
// --8<-- [end:matmul_v1_naive]

// --8<-- [start:matmul_v2_tiled]
// rung 2. Shapes as rung 1. A workgroup of 16x16 invocations computes a 16x16 block of C; it
// walks K in steps of 16, staging one 16x16 tile of A and of B in workgroup memory, so each
// element loaded from storage is used 16 times.
const T2 = 16u;
var<workgroup> tile_a2: array<f32, 256>;  // T2 * T2
var<workgroup> tile_b2: array<f32, 256>;

@group(0) @binding(0) var<storage, read> a2: array<f32>;
@group(0) @binding(1) var<storage, read> b2: array<f32>;
@group(0) @binding(2) var<storage, read_write> c2: array<f32>;
@group(0) @binding(3) var<uniform> dims2: Dims;

@compute @workgroup_size(16, 16)
fn matmul_v2_tiled(@builtin(workgroup_id) wid: vec3<u32>,
                   @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = wid.y * T2 + lid.y;
    let col = wid.x * T2 + lid.x;
    var acc = 0.0;
    for (var k0 = 0u; k0 < dims2.K; k0 += T2) {
        // each invocation loads one element of each tile; zeros past the edges
        let ka = k0 + lid.x;
        let kb = k0 + lid.y;
        var va = 0.0;
        var vb = 0.0;
        if (row < dims2.M && ka < dims2.K) { va = a2[row * dims2.K + ka]; }
        if (kb < dims2.K && col < dims2.N) { vb = b2[kb * dims2.N + col]; }
        tile_a2[lid.y * T2 + lid.x] = va;
        tile_b2[lid.y * T2 + lid.x] = vb;
        workgroupBarrier();  // the tiles are complete before anyone reads them
        for (var k = 0u; k < T2; k++) {
            acc += tile_a2[lid.y * T2 + k] * tile_b2[k * T2 + lid.x];
        }
        workgroupBarrier();  // everyone is done reading before the next tile overwrites them
    }
    if (row < dims2.M && col < dims2.N) { c2[row * dims2.N + col] = acc; }
}
// --8<-- [end:matmul_v2_tiled]

// --8<-- [start:matmul_v3_reg_tiled]
// rung 3. Shapes: A (M,K4*4), B (K,N4*4) -> C (M,N4*4), rows zero-padded to vec4s.
// A workgroup of 16x16 invocations computes a 64x64 block of C; invocation (x, y) keeps a 4x4
// block (rows 4y..4y+3, columns 4x..4x+3 of the block) in registers as four vec4 accumulators.
// Per step of 16 along K it loads one vec4 of A and one of B into workgroup memory, then does
// 4*4*16 = 256 multiply-adds from 2*4*4 = 32 workgroup-memory vec4 reads.
const BM3 = 64u;  // block rows
const BN4 = 16u;  // block columns, in vec4s (64 floats)
const BK3 = 16u;  // K step
var<workgroup> tile_a3: array<vec4<f32>, 256>;  // 64 rows x 4 vec4 (16 k-values each row)
var<workgroup> tile_b3: array<vec4<f32>, 256>;  // 16 k-rows x 16 vec4 (64 columns)

@group(0) @binding(0) var<storage, read> a3: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b3: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c3: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims3: Dims;

@compute @workgroup_size(16, 16)
fn matmul_v3_reg_tiled(@builtin(workgroup_id) wid: vec3<u32>,
                       @builtin(local_invocation_id) lid: vec3<u32>,
                       @builtin(local_invocation_index) li: u32) {
    let k4s = (dims3.K + 3u) / 4u;  // padded row lengths, in vec4s
    let n4s = (dims3.N + 3u) / 4u;
    let row0 = wid.y * BM3;
    let col4 = wid.x * BN4 + lid.x;
    var acc = array<vec4<f32>, 4>(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    for (var k0 = 0u; k0 < dims3.K; k0 += BK3) {
        // A tile: invocation li loads row li/4, vec4 li%4; B tile: k-row li/16, vec4 li%16
        let ar = row0 + li / 4u;
        let ak4 = k0 / 4u + li % 4u;
        var va = vec4(0.0);
        if (ar < dims3.M && ak4 < k4s) { va = a3[ar * k4s + ak4]; }
        tile_a3[li] = va;
        let bk = k0 + li / 16u;
        let bn4 = wid.x * BN4 + li % 16u;
        var vb = vec4(0.0);
        if (bk < dims3.K && bn4 < n4s) { vb = b3[bk * n4s + bn4]; }
        tile_b3[li] = vb;
        workgroupBarrier();
        for (var k4 = 0u; k4 < BK3 / 4u; k4++) {
            // four k-rows of B for this invocation's four columns
            let bk0 = tile_b3[(k4 * 4u + 0u) * BN4 + lid.x];
            let bk1 = tile_b3[(k4 * 4u + 1u) * BN4 + lid.x];
            let bk2 = tile_b3[(k4 * 4u + 2u) * BN4 + lid.x];
            let bk3 = tile_b3[(k4 * 4u + 3u) * BN4 + lid.x];
            for (var i = 0u; i < 4u; i++) {
                let a = tile_a3[(lid.y * 4u + i) * 4u + k4];  // 4 k-values of row i
                acc[i] += a.x * bk0 + a.y * bk1 + a.z * bk2 + a.w * bk3;
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + lid.y * 4u + i;
        if (r < dims3.M && col4 < n4s) { c3[r * n4s + col4] = acc[i]; }
    }
}
// --8<-- [end:matmul_v3_reg_tiled]
