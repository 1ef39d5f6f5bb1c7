// The view table that elementwise.wgsl and index.wgsl read, and `position`, which they share
// (prepended to them). A view is (offset, strides) over a flat buffer; all the views of one
// launch are laid over the same shape, out's. The table `table` (i32), declared by the kernel:
//     [0] numel, [1] ndim, [2 .. 2+ndim) the shape,
//     then for each view v = 0, 1, ...: offset, strides[0 .. ndim)
// and after the views whatever the kernel needs besides.

// --8<-- [start:position]
// Where element i of view v sits in its buffer: unravel i over the shape (last dim fastest)
// and dot the coordinates with v's strides.
fn position(i: u32, v: u32) -> i32 {
    // EXERCISE 3.6: v's offset plus i's coordinates (last dim fastest) dotted with v's strides
    let ndim = u32(table[1]);
    let view = 2u + ndim + v * (ndim + 1u);  // v's offset, then its strides
    var pos = table[view];
    var rest = i;
    for (var d = ndim; d > 0u; d--) {
        let size = u32(table[1u + d]);  // shape[d - 1]
        pos += i32(rest % size) * table[view + d];  // coordinate * stride[d - 1]
        rest /= size;
    }
    return pos;
    // END EXERCISE
}
// --8<-- [end:position]
