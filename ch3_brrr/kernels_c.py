"""Launchers for the C kernels: numpy views in, one C call out, no copies of the data.

Every launcher takes numpy arrays that live in host memory (device "c" hands ch2's strided views
to its kernels as numpy views, as "cpu" does) and writes into `out`. The C kernel is picked by
the operands' dtypes (`add_f32`, `copy_i64_f32`). Elementwise kernels take any strides: the
launcher describes them in one int64 array (`layout`); reductions, scans, sorts and matmul take
dense rows, so their launchers first copy the input into that order with the copy kernel.
"""

from __future__ import annotations

import functools

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


def layout(out: np.ndarray, *srcs: np.ndarray) -> np.ndarray:
    """The int64 `meta` array strided.h reads (see merged_layout), for out and srcs.

    A training step launches the same shapes and strides over and over, so the layouts are
    cached by them; the array is shared, and read-only.
    """
    return merged_layout(out.shape, tuple((a.strides, a.itemsize) for a in (out, *srcs)))


@functools.lru_cache(maxsize=4096)
def merged_layout(shape: tuple[int, ...], operands: tuple) -> np.ndarray:
    meta = _merged_layout(shape, [[s // size for s in strides] for strides, size in operands])
    meta.flags.writeable = False
    return meta


# --8<-- [start:layout]
def _merged_layout(shape: tuple[int, ...], strides: list[list[int]]) -> np.ndarray:
    """The int64 `meta` array strided.h reads: ndim, shape, then each operand's strides.

    Elementwise work may visit elements in any order, so the dims are first sorted by out's
    stride, largest first (a transposed out is walked in memory order). Size-1 dims are dropped,
    and a dim is merged into the next one when every operand steps over it as over one longer
    dim (stride[d] == stride[d+1] * shape[d+1]): a dense tensor becomes one long row, a dense
    one added to a transposed one stays 2-d. Strides are in elements, not bytes.
    """
    nops = len(strides)  # strides[k][d]: operand k (0 is out) along dim d, in elements
    order = sorted(range(len(shape)), key=lambda d: -abs(strides[0][d]))
    dims = [(shape[d], [st[d] for st in strides]) for d in order if shape[d] != 1]
    merged: list[tuple[int, list[int]]] = []
    for n, st in dims:
        if merged and all(p == s * n for p, s in zip(merged[-1][1], st)):
            merged[-1] = (merged[-1][0] * n, st)
        else:
            merged.append((n, st))
    if not merged:
        merged = [(1, [0] * nops)]
    sizes = [n for n, _ in merged]
    per_operand = [[st[k] for _, st in merged] for k in range(nops)]
    return np.array([len(merged), *sizes, *(s for row in per_operand for s in row)], np.int64)
# --8<-- [end:layout]


def broadcast(out: np.ndarray, srcs, dtype=None) -> list[np.ndarray]:
    """Each source as an array of out's shape (python scalars and 0-d arrays get stride 0).

    Python numbers become `dtype` (default: the first array's); arrays must already have it.
    """
    typed = (np.ndarray, np.generic)  # arrays and numpy scalars carry a dtype
    dtype = dtype or next((s.dtype for s in srcs if isinstance(s, typed)), out.dtype)
    arrays = [np.asarray(s) if isinstance(s, typed) else np.asarray(s, dtype) for s in srcs]
    for a in arrays:
        if a.dtype != dtype:
            raise TypeError(f"operands of one C kernel must share a dtype: {a.dtype} != {dtype}")
    return [a if a.shape == out.shape else np.broadcast_to(a, out.shape) for a in arrays]


# *** 2. elementwise ***


TO_BOOL = {"not", "cmplt", "cmple", "cmpeq", "cmpne", "and", "or", "xor"}


def staging(out: np.ndarray, dtype) -> np.ndarray:
    """Where a kernel that writes `dtype` should write: out itself, or a temporary of that
    dtype when out's differs (then `finish` casts it into out)."""
    return out if out.dtype == dtype else np.empty(out.shape, dtype)


def finish(out: np.ndarray, result: np.ndarray) -> None:
    """Copy (and cast) a kernel's temporary result into out; nothing if it wrote out itself."""
    if result is not out:
        copy(out, result)


def unary(op: str, out: np.ndarray, x) -> None:
    """out[i] = op(x[i]). Shapes: x broadcasts to out."""
    if out.size == 0:
        return
    (x,) = broadcast(out, [x])
    result = staging(out, np.dtype(np.bool_) if op in TO_BOOL else x.dtype)
    kernel("elementwise", f"{op}_{suffix(x)}")(result, x, layout(result, x))
    finish(out, result)


def binary(op: str, out: np.ndarray, a, b) -> None:
    """out[i] = op(a[i], b[i]); a and b share a dtype. Shapes: a, b broadcast to out."""
    if out.size == 0:
        return
    a, b = broadcast(out, [a, b])
    result = staging(out, np.dtype(np.bool_) if op in TO_BOOL else a.dtype)
    kernel("elementwise", f"{op}_{suffix(a)}")(result, a, b, layout(result, a, b))
    finish(out, result)


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
    (x,) = broadcast(out, [x], x.dtype if isinstance(x, (np.ndarray, np.generic)) else out.dtype)
    kernel("elementwise", f"copy_{suffix(x)}_{suffix(out)}")(out, x, layout(out, x))


def dense(x: np.ndarray, dtype=None) -> np.ndarray:
    """x as a C-contiguous array of dtype (default x's): x itself if it already is one, else a
    copy by the C copy kernel. Only for reading: the result may be the caller's array."""
    dtype = np.dtype(dtype or x.dtype)
    if x.flags.c_contiguous and x.dtype == dtype:
        return x
    out = np.empty(x.shape, dtype)
    copy(out, x)
    return out


def result_buffer(out: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
    """out itself when the C kernel can write it directly (dense, and not memory an input is
    still to be read from), else a dense temporary."""
    if out.flags.c_contiguous and not any(np.may_share_memory(out, x) for x in inputs):
        return out
    return np.empty(out.shape, out.dtype)


# *** 3. reductions, scans, sorts: along dense rows ***


def as_rows(x: np.ndarray, axes: tuple[int, ...], dtype=None) -> np.ndarray:
    """x with `axes` moved last and made dense (cast to dtype), as a (rows, n) array."""
    keep = [d for d in range(x.ndim) if d not in axes]
    moved = x.transpose(keep + list(axes))
    rows = int(np.prod([x.shape[d] for d in keep], dtype=np.int64))
    n = int(np.prod([x.shape[d] for d in axes], dtype=np.int64))
    return dense(moved, dtype).reshape(rows, n)


REDUCE_NAMES = {"sum", "prod", "max", "min", "argmax", "argmin", "any", "all"}


def reduce(op: str, out: np.ndarray, x: np.ndarray, axes) -> None:
    """out = op over `axes` of x. Shapes: x (..) -> out (x's shape without axes).

    sum and prod compute in out's dtype (a bool sum counts in int64), any/all in bool.
    """
    assert op in REDUCE_NAMES, op
    axes = tuple(sorted(a % x.ndim for a in axes)) if x.ndim else ()
    dtype = out.dtype if op in ("sum", "prod") else np.bool_ if op in ("any", "all") else None
    rows = as_rows(x, axes, dtype)
    if out.size != rows.shape[0]:  # the kernel trusts the sizes: check them here
        raise ValueError(f"{op}: out has {out.size} elements, the reduction makes {rows.shape[0]}")
    if out.size == 0:
        return
    if rows.shape[1] == 0 and op in ("max", "min", "argmax", "argmin"):
        raise ValueError(f"zero-size array to reduction operation {op} which has no identity")
    writes = np.dtype(np.int64) if op in ("argmax", "argmin") else rows.dtype
    result = result_buffer(out, rows) if out.dtype == writes else np.empty(out.shape, writes)
    kernel("reduce", f"{op}_{suffix(rows)}")(result, rows, vals=rows.shape)
    finish(out, result)


def along(op: str, out: np.ndarray, x: np.ndarray, axis: int, *vals) -> None:
    """cumsum / argsort along one axis: the axis moved last and dense, the result moved back."""
    axis %= max(x.ndim, 1)
    if out.size == 0:
        return
    rows = as_rows(x, (axis,) if x.ndim else (), out.dtype if op == "cumsum" else None)
    result = np.empty(rows.shape, out.dtype)
    kernel("reduce", f"{op}_{suffix(rows)}")(result, rows, vals=(*rows.shape, *vals))
    perm = [d for d in range(x.ndim) if d != axis] + ([axis] if x.ndim else [])
    copy(out.transpose(perm), result.reshape(out.transpose(perm).shape))


def cumsum(out: np.ndarray, x: np.ndarray, axis: int) -> None:
    along("cumsum", out, x, axis)


def argsort(out: np.ndarray, x: np.ndarray, axis: int, descending: bool = False) -> None:
    """out = the indices that sort x along axis, stably (NaN last; first when descending)."""
    along("argsort", out, x, axis, int(descending))


# *** 4. matmul ***


def matmul(out: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """out[.., m, n] = sum_k a[.., m, k] * b[.., k, n]. Shapes: a (.., M, K), b (.., K, N) ->
    out (.., M, N); the leading dims broadcast."""
    if out.size == 0:
        return
    (m, k), n = a.shape[-2:], b.shape[-1]
    batch = out.shape[:-2]
    count = int(np.prod(batch, dtype=np.int64))
    a3 = dense(np.broadcast_to(a, batch + (m, k))).reshape(count, m, k)
    b3 = dense(np.broadcast_to(b, batch + (k, n))).reshape(count, k, n)
    result = result_buffer(out, a3, b3) if out.dtype == a3.dtype else np.empty(out.shape, a3.dtype)
    kernel("matmul", f"matmul_{suffix(a3)}")(result, a3, b3, vals=(a3.shape[0], m, n, k))
    finish(out, result)


# *** 5. index ops: offsets computed here, data moved in C ***


def element_offsets(a: np.ndarray, key=None) -> np.ndarray:
    """Offsets in elements from a's first element, of every element of a[key] (default a).

    Built as a sum of one broadcast (stride 0, no memory) arange per dim, so indexing it with
    numpy's rules (and numpy's IndexError for a bad index) costs only the result's size.
    """
    total = np.zeros((), np.int64)
    for d, (n, stride) in enumerate(zip(a.shape, a.strides)):
        shape = [1] * a.ndim
        shape[d] = n
        part = np.broadcast_to((np.arange(n, dtype=np.int64) * (stride // a.itemsize))
                               .reshape(shape), a.shape)
        total = total + (part if key is None else part[key])
    return np.broadcast_to(total, a.shape if key is None else np.shape(total))


def take(out: np.ndarray, x: np.ndarray, x_off: np.ndarray) -> None:
    """out[i] = x at offset x_off[i]. Shapes: x_off has out's shape."""
    if out.size:
        result = staging(out, x.dtype) if not np.may_share_memory(out, x) else np.empty(
            out.shape, x.dtype)
        out_off = dense(element_offsets(result))
        kernel("index", f"take_{suffix(x)}")(result, x, out_off, dense(x_off), vals=(out.size,))
        finish(out, result)


def put(out: np.ndarray, src: np.ndarray, out_off: np.ndarray, accumulate: bool) -> None:
    """out at offset out_off[i] (+)= src[i], serially. Shapes: src broadcasts to out_off."""
    if out_off.size:
        src = np.broadcast_to(src if src.dtype == out.dtype else dense(src, out.dtype),
                              out_off.shape)
        kernel("index", f"put_{suffix(out)}")(out, src, dense(out_off),
                                              dense(element_offsets(src)),
                                              vals=(out_off.size, int(accumulate)))


def along_axis_offsets(x: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    """Offsets into x of x[i0, .., index[i0, ..], ..] for every position of index (gather's
    rule: index may be smaller than x in every dim); negative indices count from the end."""
    n = x.shape[axis]
    bad = (index < -n) | (index >= n)
    if bad.any():
        raise IndexError(f"index {int(index[bad][0])} is out of bounds for dimension {axis} "
                         f"with size {n}")
    head = x[tuple(slice(0, m) if d != axis else slice(0, 1) for d, m in enumerate(index.shape))]
    stride = x.strides[axis] // x.itemsize
    return element_offsets(head) + np.where(index < 0, index + n, index) * stride


def gather(out: np.ndarray, x: np.ndarray, index: np.ndarray, axis: int) -> None:
    take(out, x, along_axis_offsets(x, index, axis))


def scatter_add(out: np.ndarray, x: np.ndarray, index: np.ndarray, src: np.ndarray,
                axis: int) -> None:
    """out = x, then out[.., index[i], ..] += src[i] along axis."""
    copy(out, x)
    src = src[tuple(slice(0, m) for m in index.shape)]
    put(out, src, along_axis_offsets(out, index, axis), accumulate=True)


def index_key(ndim: int, indices, positions) -> tuple:
    key: list = [slice(None)] * ndim
    for p, idx in zip(positions, indices):
        key[p] = idx
    return tuple(key)


def index(out: np.ndarray, x: np.ndarray, *indices, positions) -> None:
    """out = x[key], the key holding int arrays at `positions` (numpy's advanced indexing)."""
    take(out, x, element_offsets(x, index_key(x.ndim, indices, positions)))


def index_put(out: np.ndarray, x: np.ndarray, src: np.ndarray, *indices, positions,
              accumulate: bool) -> None:
    """out = x, then out[key] = src (or += src, adding repeats, with accumulate)."""
    copy(out, x)
    put(out, src, element_offsets(out, index_key(out.ndim, indices, positions)), accumulate)


# *** 6. fused nn kernels: rows of the last dim ***
# Each launcher returns its result; given `out` (any layout), it writes there instead: into out's
# own memory when out is dense, else through a dense temporary (result_buffer, finish).


def _rows2d(x: np.ndarray) -> np.ndarray:
    return dense(x).reshape(-1, x.shape[-1]) if x.ndim else dense(x).reshape(1, 1)


def _target(out: np.ndarray | None, shape, dtype, *inputs) -> np.ndarray:
    return np.empty(shape, dtype) if out is None else result_buffer(out, *inputs)


def _done(out: np.ndarray | None, result: np.ndarray) -> np.ndarray:
    if out is None:
        return result
    finish(out, result)
    return out


def softmax(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """softmax over the last dim. Shapes: (.., C) -> (.., C)."""
    rows = _rows2d(x)
    result = _target(out, x.shape, rows.dtype, x)
    if rows.size:
        kernel("nn", f"softmax_forward_{suffix(rows)}")(result.reshape(rows.shape), rows,
                                                        vals=rows.shape)
    return _done(out, result)


def log_softmax(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """log softmax over the last dim. Shapes: (.., C) -> (.., C)."""
    rows = _rows2d(x)
    result = _target(out, x.shape, rows.dtype, x)
    if rows.size:
        kernel("nn", f"log_softmax_forward_{suffix(rows)}")(result.reshape(rows.shape), rows,
                                                            vals=rows.shape)
    return _done(out, result)


def softmax_backward(y: np.ndarray, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """dx from the softmax output y and the upstream gradient dy. Shapes: all (.., C)."""
    yr, dyr = _rows2d(y), _rows2d(dy)
    dx = _target(out, y.shape, yr.dtype, y, dy)
    if yr.size:
        kernel("nn", f"softmax_backward_{suffix(yr)}")(dx.reshape(yr.shape), yr, dyr,
                                                       vals=yr.shape)
    return _done(out, dx)


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-5, out=None):
    """(out, mean, rstd) of layer norm over the last dim. Shapes: x (.., C), w, b (C) ->
    out (.., C), mean and rstd (..). `out`: three arrays to write, of those sizes."""
    rows = _rows2d(x)
    out = out or (None, None, None)
    y = _target(out[0], x.shape, x.dtype, x)
    mean = _target(out[1], x.shape[:-1], x.dtype)
    rstd = _target(out[2], x.shape[:-1], x.dtype)
    if rows.size:
        kernel("nn", f"layernorm_forward_{suffix(rows)}")(
            y.reshape(rows.shape), mean.reshape(-1), rstd.reshape(-1), rows, dense(w),
            dense(b), vals=(*rows.shape, eps))
    return _done(out[0], y), _done(out[1], mean), _done(out[2], rstd)


def layer_norm_backward(dout, x, mean, rstd, w, out=None):
    """(dx, dw, db) of layer_norm. Shapes: dout, x (.., C); mean, rstd (..); w (C).
    `out`: three arrays to write, of those sizes."""
    rows, drows = _rows2d(x), _rows2d(dout)
    out = out or (None, None, None)
    dx = _target(out[0], x.shape, x.dtype, x, dout)
    dw = _target(out[1], x.shape[-1:], x.dtype)
    db = _target(out[2], x.shape[-1:], x.dtype)
    kernel("nn", f"layernorm_backward_{suffix(rows)}")(
        dx.reshape(rows.shape), dw, db, drows, rows, dense(mean).ravel(), dense(rstd).ravel(),
        dense(w), vals=rows.shape)
    return _done(out[0], dx), _done(out[1], dw), _done(out[2], db)


def _check_targets(target: np.ndarray, classes: int) -> np.ndarray:
    target = dense(target, np.int64).ravel()
    bad = (target < 0) | (target >= classes)
    if bad.any():
        raise IndexError(f"Target {int(target[bad][0])} is out of bounds.")  # torch's words
    return target


def cross_entropy(logits: np.ndarray, target: np.ndarray, out=None) -> np.ndarray:
    """Per-row loss -log softmax(logits)[target]. Shapes: logits (R, C), target (R) -> (R)."""
    rows = _rows2d(logits)
    target = _check_targets(target, rows.shape[1])
    loss = _target(out, rows.shape[:1], logits.dtype)
    if rows.size:
        kernel("nn", f"cross_entropy_forward_{suffix(rows)}")(loss, rows, target,
                                                              vals=rows.shape)
    return _done(out, loss)


def cross_entropy_backward(logits: np.ndarray, target: np.ndarray, dloss: np.ndarray, out=None):
    """dlogits = (softmax(logits) - onehot(target)) * dloss[:, None]. Shapes: (R, C), (R), (R)."""
    rows = _rows2d(logits)
    target = _check_targets(target, rows.shape[1])
    dlogits = _target(out, rows.shape, rows.dtype, logits)
    if rows.size:
        kernel("nn", f"cross_entropy_backward_{suffix(rows)}")(dlogits, rows, target,
                                                               dense(dloss).ravel(),
                                                               vals=rows.shape)
    return _done(out, dlogits)
