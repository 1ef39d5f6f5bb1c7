// What softmax.wgsl, layernorm.wgsl and cross_entropy.wgsl share (prepended to them): each
// works on rows of a row-major (R, C) float32 matrix, one workgroup of 64 invocations per row,
// and folds the 64 invocations' partial results in workgroup memory. A tree of 6 pairwise
// rounds; every invocation gets the result. Call only from uniform control flow (barriers).
// Bindings 0.. belong to the kernel; `dims` is (R, C, extra...) as a uniform.

struct Dims { rows: u32, cols: u32, a: u32, b: u32 }

var<workgroup> scratch: array<f32, 64>;

// --8<-- [start:workgroup_fold]
fn workgroup_max(lane: u32, v: f32) -> f32 {
    scratch[lane] = v;
    for (var half = 32u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if (lane < half) { scratch[lane] = max(scratch[lane], scratch[lane + half]); }
    }
    workgroupBarrier();
    let result = scratch[0];
    workgroupBarrier();  // everyone has read it before scratch is reused
    return result;
}

fn workgroup_sum(lane: u32, v: f32) -> f32 {
    scratch[lane] = v;
    for (var half = 32u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if (lane < half) { scratch[lane] = scratch[lane] + scratch[lane + half]; }
    }
    workgroupBarrier();
    let result = scratch[0];
    workgroupBarrier();
    return result;
}
// --8<-- [end:workgroup_fold]
