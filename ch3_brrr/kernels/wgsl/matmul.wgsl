// The WGSL matmul ladder: C (M,N) = A (M,K) @ B (K,N), float32, row-major.
//
// rung 1: naive, one invocation per output, reads A and B from storage      (the baseline)
// rung 2: workgroup-memory tiling 16x16, each input element read once per tile from storage
// rung 3: register tiling, 8x16 per invocation as eight mat4x4, vec4 loads, 64x128 blocks
// rung 4: rung 3's register blocks read straight from storage: no workgroup memory, no barrier
//
// Every rung takes the same uniform `dims` (M, N, K) and handles sizes that are not multiples
// of its tile by bounds checks. Rungs 3 and 4 read rows as vec4<f32>: A, B and C have rows padded
// with zeros to a multiple of 4 floats (16 bytes), like the leading dimension of a BLAS call.
// Launch: rungs 1 and 2 dispatch (ceil(N/16), ceil(M/16)) workgroups; rungs 3 and 4
// (ceil(N/128), ceil(M/64)). Bindings: 0 = A, 1 = B, 2 = C, 3 = dims.

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
    // EXERCISE 3.5: per tile of K: stage A's and B's tiles (zeros past the edges), sync, add
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
    // END EXERCISE
}
// --8<-- [end:matmul_v2_tiled]

// --8<-- [start:matmul_v3_reg_tiled]
// rung 3. Shapes: A (M,K4*4), B (K,N4*4) -> C (M,N4*4), rows zero-padded to vec4s.
// A workgroup of 8x8 invocations computes a 64x128 block of C. Invocation (x, y) keeps an
// 8x16 block of it in registers, as eight 4x4 matrices: rows 8y..8y+7 of the block times the
// vec4 columns x, x+8, x+16, x+24. Per step of 16 along K the workgroup stages a 64x16 tile of A
// and a 16x128 tile of B in workgroup memory (12 vec4 loads per invocation); per 4 values of
// k each invocation then reads 24 vec4s and does 8 mat4x4 products, 512 multiply-adds, where
// rung 2 read 2 floats per multiply-add. Named mat4x4 accumulators, not an array indexed in a
// loop, so that the shader compiler keeps them in registers.
//
// A mat4x4 is built from four vec4 columns. With at = mat4x4(rows of A's 4x4 block) = A^T
// and bt = mat4x4(rows of B's block) = B^T, the block product (A B)^T = B^T A^T = bt * at:
// the accumulator's column i is row i of the C block, ready to store as a vec4.
const BM3 = 64u;  // block rows
const BN3 = 32u;  // block columns, in vec4s (128 floats)
const BK3 = 16u;  // K step (4 vec4s)
var<workgroup> tile_a3: array<vec4<f32>, 256>;  // BM3 rows x BK3/4 vec4, row-major
var<workgroup> tile_b3: array<vec4<f32>, 512>;  // BK3 rows x BN3 vec4, row-major

@group(0) @binding(0) var<storage, read> a3: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b3: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c3: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims3: Dims;

// the transposed 4x4 block of A at block row r (0..BM3-1, step 4) and vec4 column k4 (0..3)
fn a_block_t(r: u32, k4: u32) -> mat4x4<f32> {
    return mat4x4(tile_a3[r * 4u + k4], tile_a3[(r + 1u) * 4u + k4],
                  tile_a3[(r + 2u) * 4u + k4], tile_a3[(r + 3u) * 4u + k4]);
}

// the transposed 4x4 block of B at k-rows 4*k4..4*k4+3 and vec4 column c4 (0..BN3-1)
fn b_block_t(k4: u32, c4: u32) -> mat4x4<f32> {
    let q = k4 * 4u * BN3 + c4;
    return mat4x4(tile_b3[q], tile_b3[q + BN3], tile_b3[q + 2u * BN3], tile_b3[q + 3u * BN3]);
}

fn store_block_t(acc: mat4x4<f32>, row: u32, c4: u32, n4s: u32) {
    for (var i = 0u; i < 4u; i++) {
        if (row + i < dims3.M && c4 < n4s) { c3[(row + i) * n4s + c4] = acc[i]; }
    }
}

@compute @workgroup_size(8, 8)
fn matmul_v3_reg_tiled(@builtin(workgroup_id) wid: vec3<u32>,
                       @builtin(local_invocation_id) lid: vec3<u32>,
                       @builtin(local_invocation_index) li: u32) {
    let k4s = (dims3.K + 3u) / 4u;  // padded row lengths, in vec4s
    let n4s = (dims3.N + 3u) / 4u;
    let row0 = wid.y * BM3;
    // acc<r><c>: rows +4r..4r+3 of this invocation's 8, vec4 column x + 8c
    var acc00 = mat4x4<f32>();
    var acc01 = mat4x4<f32>();
    var acc02 = mat4x4<f32>();
    var acc03 = mat4x4<f32>();
    var acc10 = mat4x4<f32>();
    var acc11 = mat4x4<f32>();
    var acc12 = mat4x4<f32>();
    var acc13 = mat4x4<f32>();
    for (var k0 = 0u; k0 < dims3.K; k0 += BK3) {
        for (var t = li; t < 256u; t += 64u) {  // A's tile: 256 vec4s; zeros past the edges
            let ar = row0 + t / 4u;
            let ak4 = k0 / 4u + t % 4u;
            var va = vec4(0.0);
            if (ar < dims3.M && ak4 < k4s) { va = a3[ar * k4s + ak4]; }
            tile_a3[t] = va;
        }
        for (var t = li; t < 512u; t += 64u) {  // B's tile: 512 vec4s
            let bk = k0 + t / BN3;
            let bn4 = wid.x * BN3 + t % BN3;
            var vb = vec4(0.0);
            if (bk < dims3.K && bn4 < n4s) { vb = b3[bk * n4s + bn4]; }
            tile_b3[t] = vb;
        }
        workgroupBarrier();
        for (var k4 = 0u; k4 < BK3 / 4u; k4++) {
            let at0 = a_block_t(lid.y * 8u, k4);
            let at1 = a_block_t(lid.y * 8u + 4u, k4);
            let bt0 = b_block_t(k4, lid.x);
            let bt1 = b_block_t(k4, lid.x + 8u);
            let bt2 = b_block_t(k4, lid.x + 16u);
            let bt3 = b_block_t(k4, lid.x + 24u);
            acc00 += bt0 * at0;
            acc01 += bt1 * at0;
            acc02 += bt2 * at0;
            acc03 += bt3 * at0;
            acc10 += bt0 * at1;
            acc11 += bt1 * at1;
            acc12 += bt2 * at1;
            acc13 += bt3 * at1;
        }
        workgroupBarrier();
    }
    let row = row0 + lid.y * 8u;
    let c4 = wid.x * BN3 + lid.x;
    store_block_t(acc00, row, c4, n4s);
    store_block_t(acc01, row, c4 + 8u, n4s);
    store_block_t(acc02, row, c4 + 16u, n4s);
    store_block_t(acc03, row, c4 + 24u, n4s);
    store_block_t(acc10, row + 4u, c4, n4s);
    store_block_t(acc11, row + 4u, c4 + 8u, n4s);
    store_block_t(acc12, row + 4u, c4 + 16u, n4s);
    store_block_t(acc13, row + 4u, c4 + 24u, n4s);
}
// --8<-- [end:matmul_v3_reg_tiled]

// --8<-- [start:matmul_v4_reg_direct]
// rung 4. Shapes as rung 3. Rung 3's register blocks, read straight from storage: no
// workgroup memory, no barriers. Invocation (x, y) of the grid computes rows 8y..8y+7 and the
// vec4 columns c, c+8, c+16, c+24 (c = 32 * (x / 8) + x % 8) of C. A GPU wants rung 3: its
// workgroup memory saves trips to far memory. A CPU adapter wants this one: its caches already
// keep the tiles close, and a barrier there is a switch between every SIMD group of the
// workgroup, which rung 3 pays twice per 16 steps of K.
@group(0) @binding(0) var<storage, read> a5: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b5: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c5: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims5: Dims;

// 4 k-values of row r of A (k4: which 4), zeros past the last row
fn a_row4(r: u32, k4: u32, k4s: u32) -> vec4<f32> {
    if (r >= dims5.M) { return vec4(0.0); }
    return a5[r * k4s + k4];
}

// vec4 column c4 of row k of B, zeros past the edges
fn b_row4(k: u32, c4: u32, n4s: u32) -> vec4<f32> {
    if (k >= dims5.K || c4 >= n4s) { return vec4(0.0); }
    return b5[k * n4s + c4];
}

// the transposed 4x4 blocks, as in rung 3: A's rows r..r+3, B's k-rows k..k+3
fn a_t(r: u32, k4: u32, k4s: u32) -> mat4x4<f32> {
    return mat4x4(a_row4(r, k4, k4s), a_row4(r + 1u, k4, k4s), a_row4(r + 2u, k4, k4s),
                  a_row4(r + 3u, k4, k4s));
}

fn b_t(k: u32, c4: u32, n4s: u32) -> mat4x4<f32> {
    return mat4x4(b_row4(k, c4, n4s), b_row4(k + 1u, c4, n4s), b_row4(k + 2u, c4, n4s),
                  b_row4(k + 3u, c4, n4s));
}

fn store_t(acc: mat4x4<f32>, row: u32, c4: u32, n4s: u32) {
    for (var i = 0u; i < 4u; i++) {
        if (row + i < dims5.M && c4 < n4s) { c5[(row + i) * n4s + c4] = acc[i]; }
    }
}

@compute @workgroup_size(8, 8)
fn matmul_v4_reg_direct(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k4s = (dims5.K + 3u) / 4u;
    let n4s = (dims5.N + 3u) / 4u;
    let row = gid.y * 8u;
    let c4 = (gid.x / 8u) * 32u + gid.x % 8u;
    var acc00 = mat4x4<f32>();
    var acc01 = mat4x4<f32>();
    var acc02 = mat4x4<f32>();
    var acc03 = mat4x4<f32>();
    var acc10 = mat4x4<f32>();
    var acc11 = mat4x4<f32>();
    var acc12 = mat4x4<f32>();
    var acc13 = mat4x4<f32>();
    for (var k4 = 0u; k4 < k4s; k4++) {
        let at0 = a_t(row, k4, k4s);
        let at1 = a_t(row + 4u, k4, k4s);
        let bt0 = b_t(4u * k4, c4, n4s);
        let bt1 = b_t(4u * k4, c4 + 8u, n4s);
        let bt2 = b_t(4u * k4, c4 + 16u, n4s);
        let bt3 = b_t(4u * k4, c4 + 24u, n4s);
        acc00 += bt0 * at0;
        acc01 += bt1 * at0;
        acc02 += bt2 * at0;
        acc03 += bt3 * at0;
        acc10 += bt0 * at1;
        acc11 += bt1 * at1;
        acc12 += bt2 * at1;
        acc13 += bt3 * at1;
    }
    store_t(acc00, row, c4, n4s);
    store_t(acc01, row, c4 + 8u, n4s);
    store_t(acc02, row, c4 + 16u, n4s);
    store_t(acc03, row, c4 + 24u, n4s);
    store_t(acc10, row + 4u, c4, n4s);
    store_t(acc11, row + 4u, c4 + 8u, n4s);
    store_t(acc12, row + 4u, c4 + 16u, n4s);
    store_t(acc13, row + 4u, c4 + 24u, n4s);
}
// --8<-- [end:matmul_v4_reg_direct]

// --8<-- [start:matmul_strided]
// The device's matmul (ch2's MATMUL): rung 3's mat4x4 register blocks over strided, batched
// views, reading A and B in place (transposes from the backward pass cost no copy).
// Shapes: A (..., M, K), B (..., K, N) -> C (..., M, N); the batch dims already broadcast
// (stride 0). Workgroup z is the batch, unravelled over the batch shape. table4 (i32):
//     [0] M, [1] N, [2] K, [3] nbatch, batch shape,
//     then A, B, C each: offset, batch strides, row stride, column stride
// Launch (ceil(N/32), ceil(M/32), batches): 8x8 invocations, 4x4 outputs each.
@group(0) @binding(0) var<storage, read_write> c4: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<f32>;
@group(0) @binding(2) var<storage, read> b4: array<f32>;
@group(0) @binding(3) var<storage, read> table4: array<i32>;

// offset of batch `z` in view v (0 = A, 1 = B, 2 = C), and where v's row and column strides are
fn batch_offset(z: u32, v: u32) -> vec3<i32> {
    let nb = u32(table4[3]);
    let view = 4u + nb + v * (nb + 3u);
    var pos = table4[view];
    var rest = z;
    for (var d = nb; d > 0u; d--) {
        let size = u32(table4[3u + d]);
        pos += i32(rest % size) * table4[view + d];
        rest /= size;
    }
    return vec3(pos, table4[view + nb + 1u], table4[view + nb + 2u]);
}

fn load_a4(v: vec3<i32>, m: u32, k: u32) -> f32 {
    if (m >= u32(table4[0]) || k >= u32(table4[2])) { return 0.0; }
    return a4[v.x + i32(m) * v.y + i32(k) * v.z];
}

fn load_b4(v: vec3<i32>, k: u32, n: u32) -> f32 {
    if (k >= u32(table4[2]) || n >= u32(table4[1])) { return 0.0; }
    return b4[v.x + i32(k) * v.y + i32(n) * v.z];
}

// 4 consecutive elements of a row of A (m, k..k+3) or of B (k, n..n+3)
fn row_a4(v: vec3<i32>, m: u32, k: u32) -> vec4<f32> {
    return vec4(load_a4(v, m, k), load_a4(v, m, k + 1u), load_a4(v, m, k + 2u),
                load_a4(v, m, k + 3u));
}

fn row_b4(v: vec3<i32>, k: u32, n: u32) -> vec4<f32> {
    return vec4(load_b4(v, k, n), load_b4(v, k, n + 1u), load_b4(v, k, n + 2u),
                load_b4(v, k, n + 3u));
}

@compute @workgroup_size(8, 8)
fn matmul_strided(@builtin(global_invocation_id) gid: vec3<u32>) {
    let va = batch_offset(gid.z, 0u);
    let vb = batch_offset(gid.z, 1u);
    let vc = batch_offset(gid.z, 2u);
    let m0 = gid.y * 4u;
    let n0 = gid.x * 4u;
    let M = u32(table4[0]);
    let N = u32(table4[1]);
    if (m0 >= M || n0 >= N) { return; }
    var acc = mat4x4<f32>();  // column i: row m0 + i of the C block (C^T = B^T A^T)
    for (var k = 0u; k < u32(table4[2]); k += 4u) {
        let at = mat4x4(row_a4(va, m0, k), row_a4(va, m0 + 1u, k), row_a4(va, m0 + 2u, k),
                        row_a4(va, m0 + 3u, k));
        let bt = mat4x4(row_b4(vb, k, n0), row_b4(vb, k + 1u, n0), row_b4(vb, k + 2u, n0),
                        row_b4(vb, k + 3u, n0));
        acc += bt * at;
    }
    for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
            if (m0 + i < M && n0 + j < N) {
                c4[vc.x + i32(m0 + i) * vc.y + i32(n0 + j) * vc.z] = acc[i][j];
            }
        }
    }
}
// --8<-- [end:matmul_strided]
