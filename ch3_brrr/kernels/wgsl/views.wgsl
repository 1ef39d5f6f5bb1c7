// The view table that elementwise.wgsl and index.wgsl read, and `position`, which they share
// (prepended to them). A view is (offset, strides) over a flat buffer; all the views of one
// launch are laid over the same shape, out's. The table `table` (i32), declared by the kernel:
//     [0] numel, [1] ndim, [2 .. 2+ndim) the shape,
//     then for each view v = 0, 1, ...: offset, strides[0 .. ndim)
// and after the views whatever the kernel needs besides.

// --8<-- [start:position]
// Where element i of view v sits in its buffer: unravel i over the shape (last dim fastest)
// and dot the coordinates with v's strides. Integer division is the slow part on a CPU
// adapter (SIMD units have none), so one division per dim, and none for a 1-d view.
fn position(i: u32, v: u32) -> i32 {
    // EXERCISE 3.6: v's offset plus i's coordinates (last dim fastest) dotted with v's strides
    let ndim = u32(table[1]);
    let view = 2u + ndim + v * (ndim + 1u);  // v's offset, then its strides
    if (ndim == 1u) { return table[view] + i32(i) * table[view + 1u]; }
    var pos = table[view];
    var rest = i;
    for (var d = ndim; d > 0u; d--) {
        let size = u32(table[1u + d]);  // shape[d - 1]
        let next = rest / size;
        pos += i32(rest - next * size) * table[view + d];  // coordinate * stride[d - 1]
        rest = next;
    }
    return pos;
    // END EXERCISE
}
// --8<-- [end:position]

// --8<-- [start:positions4]
// position() of views 0..3 at once, for the elementwise kernel (out and up to three inputs):
// the coordinates are unravelled once and dotted with four views' strides as one vec4.
// Views past the launch's last read whatever the table holds there; their lanes go unused.
fn positions4(i: u32) -> vec4<i32> {
    let ndim = u32(table[1]);
    let step = ndim + 1u;  // one view's entries: offset, strides
    let first = 2u + ndim;
    var pos = vec4(table[first], table[first + step], table[first + 2u * step],
                   table[first + 3u * step]);
    if (ndim == 1u) {  // no division
        let strides = vec4(table[first + 1u], table[first + step + 1u],
                           table[first + 2u * step + 1u], table[first + 3u * step + 1u]);
        return pos + i32(i) * strides;
    }
    var rest = i;
    for (var d = ndim; d > 0u; d--) {
        let size = u32(table[1u + d]);
        let next = rest / size;
        let strides = vec4(table[first + d], table[first + step + d],
                           table[first + 2u * step + d], table[first + 3u * step + d]);
        pos += i32(rest - next * size) * strides;
        rest = next;
    }
    return pos;
}
// --8<-- [end:positions4]
