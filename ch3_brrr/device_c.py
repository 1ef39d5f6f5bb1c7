"""Device "c" for chapter 2: tensors in aligned host memory, every primitive a C kernel.

Importing this module registers "c" through ch2's device contract (ch2_lego.backend), so
`model.to("c")` runs the ch2 models on the kernels of kernels/c/ without ch2 knowing of them.
Memory is host memory from the C runtime's Allocator (64-byte aligned), and an operand is a
numpy view of it, as on "cpu": the C kernels read and write the tensors' own bytes. It stores
every ch2 dtype (bool, int32, int64, float32, float64) and takes any strides. Besides the
primitives, it runs ch2's optional fused layers (softmax, layer norm, cross-entropy) as the
one-pass kernels of kernels/c/nn.c.
"""

from __future__ import annotations

import numpy as np

from ch2_lego.backend import Device, Ops, register, register_device
from ch2_lego.dtype import DTYPES, float32, float64, int32, int64
from ch2_lego.errors import DTypeError, IndexValueError, IntegerDivisionError
from ch3_brrr import kernels_c as K
from ch3_brrr.runtime import get_device

# *** 1. memory and operands ***


def alloc(numel: int, dtype) -> np.ndarray:
    """A flat array of numel elements of dtype, in the C runtime's aligned host memory."""
    raw = get_device("c").allocator.alloc(numel * dtype.np.itemsize)
    return raw.view(dtype.np)


def from_numpy(a: np.ndarray) -> np.ndarray:
    """Upload: copy a flat host array into fresh aligned memory (the copy kernel moves it)."""
    out = alloc(a.size, _dtype_of(a))
    K.copy(out, a)
    return out


def _dtype_of(a: np.ndarray):
    return next(d for d in DTYPES if d.np == a.dtype)


# --8<-- [start:c_operand]
def operand(storage, view) -> np.ndarray:
    """A numpy view of `view` over the storage's flat array: the kernels' handle, no copy."""
    data = storage.data
    if 0 in view.shape:  # an empty view may start past the end of its storage
        return np.empty(view.shape, data.dtype)
    size = data.itemsize
    return np.ndarray(view.shape, data.dtype, data, view.offset * size,
                      tuple(s * size for s in view.strides))
# --8<-- [end:c_operand]


C = register_device(Device(
    "c", alloc=alloc, from_numpy=from_numpy,
    to_numpy=lambda data: data,  # host memory: the download shares it
    operand=operand,
    scalar=lambda value, dtype: np.array(value, dtype.np),  # 0-d: launchers broadcast it
))

# *** 2. the kernels, by op ***

FLOATS, INTS = (float32, float64), (int32, int64)
NUMBERS, ALL = FLOATS + INTS, DTYPES


def unary(name):
    return lambda out, x: K.unary(name, out, x)


def binary(name):
    return lambda out, a, b: K.binary(name, out, a, b)


# NOTE: as on "cpu", two checks need the values: an integer x // 0 and x ** -1
def int_division(name):
    def kernel(out, a, b):
        if a.dtype.kind in "iu" and (np.asarray(b) == 0).any():
            raise IntegerDivisionError("ZeroDivisionError")
        K.binary(name, out, a, b)
    return kernel


def power(out, a, b):
    if a.dtype.kind in "iu" and (np.asarray(b) < 0).any():
        raise DTypeError("Integers to negative integer powers are not allowed.")
    K.binary("pow", out, a, b)


def where(out, cond, a, b):
    cond = cond if cond.dtype == np.bool_ else K.dense(cond, np.bool_)
    K.where(out, cond, a, b)


def reduction(name):
    return lambda out, x, axes: K.reduce(name, out, x, axes)


# NOTE: as on "cpu", gather and scatter_add take indices in [0, size): the C launchers follow
# numpy (a negative index counts from the end), and ch2 wants its IndexValueError with the value
def checked_index(index: np.ndarray, size: int, axis: int) -> np.ndarray:
    """index, or IndexValueError (torch's words) naming its first value outside [0, size)."""
    bad = (index < 0) | (index >= size)
    if bad.any():
        value = int(index[bad][0])
        raise IndexValueError(f"index {value} is out of bounds for dimension {axis} with size "
                              f"{size}", value)
    return index


def gather(out, x, index, axis):
    K.gather(out, x, checked_index(index, x.shape[axis], axis), axis)


def scatter_add(out, x, index, src, axis):
    K.scatter_add(out, x, checked_index(index, x.shape[axis], axis), src, axis)


# *** 3. the fused layers (ch2's optional FUSED ops): kernels/c/nn.c, one pass per row ***
# They take rows of the last dim: a softmax along another axis moves it last (a view, which the
# launcher copies dense), a layer norm over several dims flattens them into one row. A layer
# norm's outputs are fresh dense buffers from ch2's Functions; other layouts are declined, and
# so are operands of another dtype than the first (a float64 weight on float32 rows: the kernel
# would read its bytes as float32).


def last_axis(a: np.ndarray, axis: int) -> np.ndarray:
    return np.moveaxis(a, axis, -1)


def softmax(out, x, axis):
    K.softmax(last_axis(x, axis), out=last_axis(out, axis))


def log_softmax(out, x, axis):
    K.log_softmax(last_axis(x, axis), out=last_axis(out, axis))


def softmax_backward(dx, y, dy, axis):
    if not one_dtype(y, dy):
        return NotImplemented
    K.softmax_backward(last_axis(y, axis), last_axis(dy, axis), out=last_axis(dx, axis))


def rows_of(a: np.ndarray, n_dims: int) -> np.ndarray:
    """(*, *D) -> (R, m): the last n_dims dims merged (a copy if a's strides do not allow)."""
    return a.reshape(-1, int(np.prod(a.shape[a.ndim - n_dims:])))


def dense_outputs(*outs: np.ndarray) -> bool:
    return all(o.flags.c_contiguous for o in outs)


def one_dtype(*arrays: np.ndarray) -> bool:
    return all(a.dtype == arrays[0].dtype for a in arrays)


def layer_norm(out, mean, rstd, x, w, b, n_dims, eps):
    if not dense_outputs(out, mean, rstd) or not one_dtype(x, w, b) or x.size == 0:
        return NotImplemented
    normalized = x.shape[x.ndim - n_dims:]
    w, b = (np.broadcast_to(v, normalized).reshape(-1) for v in (w, b))
    rows = rows_of(x, n_dims)
    K.layer_norm(rows, w, b, eps, out=(out.reshape(rows.shape), mean.reshape(-1),
                                       rstd.reshape(-1)))


def layer_norm_backward(dx, dw, db, g, x, mean, rstd, w):
    if not dense_outputs(dx, dw, db) or not one_dtype(x, g, mean, rstd, w) or x.size == 0:
        return NotImplemented
    n_dims = dw.ndim
    w = np.broadcast_to(w, dw.shape).reshape(-1)
    rows = rows_of(x, n_dims)
    K.layer_norm_backward(rows_of(g, n_dims), rows, mean, rstd, w,
                          out=(dx.reshape(rows.shape), dw.reshape(-1), db.reshape(-1)))


def cross_entropy(loss, logits, target):
    # a target out of range: the IndexValueError of the decomposition's GATHER
    K.cross_entropy(logits, checked_index(target, logits.shape[1], 1), out=loss)


def cross_entropy_backward(dlogits, logits, target, dloss):
    if not one_dtype(logits, dloss):
        return NotImplemented
    K.cross_entropy_backward(logits, checked_index(target, logits.shape[1], 1), dloss,
                             out=dlogits)


FUSED_KERNELS = {
    Ops.SOFTMAX: softmax, Ops.LOG_SOFTMAX: log_softmax, Ops.SOFTMAX_BACKWARD: softmax_backward,
    Ops.LAYER_NORM: layer_norm, Ops.LAYER_NORM_BACKWARD: layer_norm_backward,
    Ops.CROSS_ENTROPY: cross_entropy, Ops.CROSS_ENTROPY_BACKWARD: cross_entropy_backward,
}

KERNELS = {
    # elementwise
    Ops.NEG: (unary("neg"), NUMBERS), Ops.EXP: (unary("exp"), FLOATS),
    Ops.LOG: (unary("log"), FLOATS), Ops.SQRT: (unary("sqrt"), FLOATS),
    Ops.SIN: (unary("sin"), FLOATS), Ops.COS: (unary("cos"), FLOATS),
    Ops.TANH: (unary("tanh"), FLOATS), Ops.ERF: (unary("erf"), FLOATS),
    Ops.ABS: (unary("abs"), NUMBERS), Ops.SIGN: (unary("sign"), NUMBERS),
    Ops.NOT: (unary("not"), ALL), Ops.FLOOR: (unary("floor"), FLOATS),
    Ops.CEIL: (unary("ceil"), FLOATS), Ops.ROUND: (unary("round"), FLOATS),
    Ops.ADD: (binary("add"), ALL), Ops.SUB: (binary("sub"), NUMBERS),
    Ops.MUL: (binary("mul"), ALL), Ops.DIV: (binary("div"), FLOATS),
    Ops.POW: (power, NUMBERS), Ops.MOD: (int_division("mod"), NUMBERS),
    Ops.FLOORDIV: (int_division("floordiv"), NUMBERS),
    Ops.MAX: (binary("max"), ALL), Ops.MIN: (binary("min"), ALL),
    Ops.CMPLT: (binary("cmplt"), ALL), Ops.CMPLE: (binary("cmple"), ALL),
    Ops.CMPEQ: (binary("cmpeq"), ALL), Ops.CMPNE: (binary("cmpne"), ALL),
    Ops.AND: (binary("and"), ALL), Ops.OR: (binary("or"), ALL), Ops.XOR: (binary("xor"), ALL),
    Ops.WHERE: (where, ALL),
    Ops.FILL: (K.copy, ALL), Ops.COPY: (K.copy, ALL),
    # reductions, scans, sorts
    Ops.SUM: (reduction("sum"), ALL), Ops.PROD: (reduction("prod"), ALL),
    Ops.REDUCE_MAX: (reduction("max"), ALL), Ops.REDUCE_MIN: (reduction("min"), ALL),
    Ops.ARGMAX: (reduction("argmax"), ALL), Ops.ARGMIN: (reduction("argmin"), ALL),
    Ops.ANY: (reduction("any"), ALL), Ops.ALL: (reduction("all"), ALL),
    Ops.CUMSUM: (K.cumsum, ALL), Ops.ARGSORT: (K.argsort, ALL),
    # matmul and the index ops
    Ops.MATMUL: (K.matmul, NUMBERS),
    Ops.GATHER: (gather, ALL), Ops.SCATTER_ADD: (scatter_add, ALL),
    Ops.INDEX: (K.index, ALL), Ops.INDEX_PUT: (K.index_put, ALL),
    # the fused layers, float only (others decompose)
    **{op: (kernel, FLOATS) for op, kernel in FUSED_KERNELS.items()},
}

for op, (kernel, dtypes) in KERNELS.items():
    register("c", op, kernel, dtypes)
