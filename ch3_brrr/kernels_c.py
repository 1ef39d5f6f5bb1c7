"""Launchers for the C kernels: numpy views in, one C call out, no copies of the data.

Every launcher takes numpy arrays that live in host memory (device "c" hands ch2's strided views
to its kernels as numpy views, as "cpu" does) and writes into `out`. The C kernel is picked by
the operands' dtypes (`add_f32`, `copy_i64_f32`). Elementwise kernels take any strides: the
launcher describes them in one int64 array (`layout`); reductions, scans, sorts and matmul take
dense rows, so their launchers first copy the input into that order with the copy kernel.
"""

from __future__ import annotations

import numpy as np

from ch3_brrr.runtime import get_device

SUFFIX = {np.dtype(np.bool_): "b8", np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
          np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


def kernel(file: str, name: str):
    """The C function `name` of kernels/c/<file>.c, compiled once (cached on disk)."""
    return get_device("c").kernel(file, name)


def suffix(a: np.ndarray) -> str:
    try:
        return SUFFIX[a.dtype]
    except KeyError:
        raise TypeError(f"device 'c' has no kernels for dtype {a.dtype}") from None


# *** 1. strided layouts ***


# --8<-- [start:layout]
def layout(out: np.ndarray, *srcs: np.ndarray) -> np.ndarray:
    """The int64 `meta` array strided.h reads: ndim, shape, then each operand's strides.

    Size-1 dims are dropped, and a dim is merged into the next one when every operand steps
    over it as over one longer dim (stride[d] == stride[d+1] * shape[d+1]): a contiguous tensor
    becomes one long row, a transposed one stays 2-d. Strides are in elements, not bytes.
    """
    ops = (out, *srcs)
    dims = [(n, [a.strides[d] // a.itemsize for a in ops]) for d, n in enumerate(out.shape)
            if n != 1]
    merged: list[tuple[int, list[int]]] = []
    for n, st in dims:
        if merged and all(p == s * n for p, s in zip(merged[-1][1], st)):
            merged[-1] = (merged[-1][0] * n, st)
        else:
            merged.append((n, st))
    if not merged:
        merged = [(1, [0] * len(ops))]
    shape = [n for n, _ in merged]
    strides = [[st[k] for _, st in merged] for k in range(len(ops))]
    return np.array([len(merged), *shape, *(s for row in strides for s in row)], np.int64)
# --8<-- [end:layout]


def broadcast(out: np.ndarray, srcs, dtype=None) -> list[np.ndarray]:
    """Each source as an array of out's shape (python scalars and 0-d arrays get stride 0).

    Python numbers become `dtype` (default: the first array's); arrays must already have it.
    """
    dtype = dtype or next((s.dtype for s in srcs if isinstance(s, np.ndarray)), out.dtype)
    arrays = [np.asarray(s, dtype) if not isinstance(s, np.ndarray) else s for s in srcs]
    for a in arrays:
        if a.dtype != dtype:
            raise TypeError(f"operands of one C kernel must share a dtype: {a.dtype} != {dtype}")
    return [np.broadcast_to(a, out.shape) for a in arrays]


# *** 2. elementwise ***


def unary(op: str, out: np.ndarray, x) -> None:
    """out[i] = op(x[i]). Shapes: x broadcasts to out."""
    if out.size == 0:
        return
    (x,) = broadcast(out, [x])
    kernel("elementwise", f"{op}_{suffix(x)}")(out, x, layout(out, x))


def binary(op: str, out: np.ndarray, a, b) -> None:
    """out[i] = op(a[i], b[i]); a and b share a dtype. Shapes: a, b broadcast to out."""
    if out.size == 0:
        return
    a, b = broadcast(out, [a, b])
    kernel("elementwise", f"{op}_{suffix(a)}")(out, a, b, layout(out, a, b))


def where(out: np.ndarray, cond, a, b) -> None:
    """out[i] = a[i] if cond[i] else b[i]. Shapes: all broadcast to out."""
    if out.size == 0:
        return
    (cond,) = broadcast(out, [cond], np.dtype(np.bool_))
    a, b = broadcast(out, [a, b], out.dtype)
    kernel("elementwise", f"where_{suffix(out)}")(out, cond, a, b, layout(out, cond, a, b))


def copy(out: np.ndarray, x) -> None:
    """out[i] = x[i] cast to out's dtype (FILL is a copy from a broadcast scalar)."""
    if out.size == 0:
        return
    (x,) = broadcast(out, [x], x.dtype if isinstance(x, np.ndarray) else out.dtype)
    kernel("elementwise", f"copy_{suffix(x)}_{suffix(out)}")(out, x, layout(out, x))


def dense(x: np.ndarray, dtype=None) -> np.ndarray:
    """x as a fresh C-contiguous array (of dtype, default x's), copied by the C copy kernel."""
    out = np.empty(x.shape, dtype or x.dtype)
    copy(out, x)
    return out
