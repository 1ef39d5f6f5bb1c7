"""The ch2 device "cuda": chapter 2's core primitives as CUDA kernels (kernels/cuda/ops.cu).

Importing this module registers the device, so `model.to("cuda")` runs chapter 2's models on
the GPU. It is `contiguous_only`: the dispatcher hands every kernel dense row-major operands,
except COPY, which takes any strided view (ch2_lego/backend.py). A python-number operand becomes
a one-element device buffer read with step 0. Memory is ours (ops_cuda's Allocator); the
launchers describe shapes to the kernels in small int64 structs passed by value.
Of ch2's optional fused layers it runs softmax, the layer norm forward and cross-entropy as the
row kernels of chapter 3's ladders (section 4). Left out: the other non-core ops (ch2 decomposes
them), streams, a caching allocator.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego.backend import Device, Ops, register, register_device
from ch2_lego.dtype import DTYPES, float32, float64, int32, int64
from ch2_lego.errors import (
    DTypeError,
    IndexValueError,
    IntegerDivisionError,
    OutOfRangeError,
    UnsupportedOpError,
)
from ch3_brrr.ladders.common_cuda import kernel_source
from ch3_brrr.runtime.device import get_device

MAXD = 8
SUFFIX = {np.dtype(np.bool_): "b8", np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
          np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
GPU = get_device("cuda")  # raises DeviceNotFoundError where there is no GPU
SOURCE = kernel_source("ops")

# *** 1. memory and operands ***


class CudaMemory:
    """A flat device buffer of `numel` elements of numpy dtype `dtype` (what Storage.data is)."""

    def __init__(self, numel: int, dtype: np.dtype):
        self.numel, self.dtype = numel, np.dtype(dtype)
        self.alloc = GPU.allocator.alloc(max(numel * self.dtype.itemsize, 1))

    def __len__(self) -> int:
        return self.numel


class Operand:
    """A kernel's view of memory: the address of element 0, shape, strides (elements)."""

    def __init__(self, mem: CudaMemory, shape, strides, offset: int):
        self.mem, self.shape, self.strides = mem, tuple(shape), tuple(strides)
        self.dtype = mem.dtype
        self.ptr = int(mem.alloc) + offset * mem.dtype.itemsize
        self.offset, self.numel = offset, math.prod(shape)
        self.step = 1  # 0 for a broadcast constant


def upload(host: np.ndarray) -> CudaMemory:
    mem = CudaMemory(host.size, host.dtype)
    if host.size:
        GPU.allocator.copyin(mem.alloc, memoryview(np.ascontiguousarray(host)).cast("B"))
    return mem


def download(mem: CudaMemory) -> np.ndarray:
    out = np.empty(mem.numel, mem.dtype)
    if mem.numel:
        GPU.allocator.copyout(memoryview(out).cast("B"), mem.alloc)
    return out


_constants: dict[tuple, Operand] = {}


def constant(value, dtype) -> Operand:
    """A python number as a one-element buffer, uploaded once per (value, dtype)."""
    key = (repr(value), dtype.name)
    if key not in _constants:
        if len(_constants) > 4096:
            _constants.clear()
        op = Operand(upload(np.array([value], dtype.np)), (), (), 0)
        op.step = 0
        _constants[key] = op
    return _constants[key]


DEVICE = register_device(Device(
    "cuda", alloc=lambda numel, dtype: CudaMemory(numel, dtype.np), from_numpy=upload,
    to_numpy=download, operand=lambda storage, view: Operand(storage.data, view.shape,
                                                             view.strides, view.offset),
    scalar=constant, dtypes=DTYPES, contiguous_only=True))

# *** 2. launching ***


def kernel(name: str):
    """The kernel `name` of ops.cu; a name it lacks (an op for a dtype pair with no kernel) is
    an UnsupportedOpError, as PyTorch's "not implemented for" is."""
    from ch3_brrr.runtime.ops_cuda import CudaError
    try:
        return GPU.build(name, SOURCE)
    except CudaError as e:
        raise UnsupportedOpError(f"device 'cuda' has no kernel {name}") from e


def launch(name: str, n: int, *args, threads: int = 256, blocks: int | None = None):
    """Launch `name` over n items with a grid-stride loop (at most 4096 blocks)."""
    if n == 0:
        return
    grid = blocks or min(-(-n // threads), 4096)
    kernel(name)(*args, global_size=(grid,), local_size=(threads,))


def sfx(x: Operand) -> str:
    return SUFFIX[x.dtype]


def strided(shape, strides, offset: int = 0) -> np.ndarray:
    """The Strided struct of ops.cu: ndim, offset, shape[8], strides[8], as int64."""
    if len(shape) > MAXD:
        raise UnsupportedOpError(f"device 'cuda' handles tensors of up to {MAXD} dims, "
                                 f"got {len(shape)}")
    pad = [1] * (MAXD - len(shape))
    return np.array([len(shape), offset, *shape, *pad, *strides, *[0] * (MAXD - len(shape))],
                    np.int64)


def dense_strides(shape) -> list[int]:
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return out[::-1]


class Flag:
    """A device int the kernels set when the data is bad (division by zero, index range)."""

    def __init__(self):
        self.mem = GPU.allocator.alloc(4)

    def reset(self):
        GPU.allocator.copyin(self.mem, memoryview(np.zeros(1, np.int32)).cast("B"))
        return self.mem

    def raised(self) -> bool:
        out = np.zeros(1, np.int32)
        GPU.allocator.copyout(memoryview(out).cast("B"), self.mem)
        return bool(out[0])


FLAG = Flag()
I64 = np.int64

# *** 3. the core ops ***


def fill(out, value):
    if isinstance(value, Operand):  # the dispatcher's handle for a python number
        return copy(out, value)
    v = np.array(value, out.dtype)[()]
    launch(f"fill_{sfx(out)}", out.numel, out.ptr, I64(out.numel),
           np.uint8(v) if out.dtype == np.bool_ else v)


# --8<-- [start:cuda_copy]
def copy(out, x):
    launch(f"copy_{sfx(out)}_{sfx(x)}", out.numel, strided(out.shape, out.strides),
           strided(out.shape, x.strides if x.step else [0] * len(out.shape)), out.ptr, x.ptr,
           I64(out.numel))
# --8<-- [end:cuda_copy]


def unary(name):
    def run(out, x):
        launch(f"{name}_{sfx(x)}", out.numel, out.ptr, x.ptr, I64(out.numel), I64(x.step))
    return run


def binary(name, checked=None):
    def run(out, a, b):
        args = (out.ptr, a.ptr, b.ptr, I64(out.numel), I64(a.step), I64(b.step))
        integer = a.dtype.kind in "iu"
        if checked and integer:
            launch(f"{name}_{sfx(a)}", out.numel, *args, FLAG.reset())
            if FLAG.raised():
                raise checked()
        else:
            launch(f"{name}_{sfx(a)}", out.numel, *args)
    return run


def where(out, c, a, b):
    launch(f"where_{sfx(a)}", out.numel, out.ptr, c.ptr, a.ptr, b.ptr, I64(out.numel),
           I64(c.step), I64(a.step), I64(b.step))


def reduction(name):
    """SUM / REDUCE_MAX / ARGMAX over `axes` of a dense x: the kernel sees (kept..., reduced...)."""
    def run(out, x, axes):
        kept = [d for d in range(len(x.shape)) if d not in axes]
        order = kept + list(axes)
        st = dense_strides(x.shape)
        meta = strided([x.shape[d] for d in order], [st[d] for d in order])
        nout = math.prod(x.shape[d] for d in kept)
        nred = math.prod(x.shape[d] for d in axes)
        full = f"{name}_{sfx(out)}_{sfx(x)}" if name == "sum" else f"{name}_{sfx(x)}"
        if nout:
            kernel(full)(meta, out.ptr, x.ptr, I64(nout), I64(nred),
                         global_size=(min(nout, 65535),), local_size=(256,))
    return run


def matmul(out, a, b):
    *batch, M, N = out.shape
    K = a.shape[-1]
    nb = math.prod(batch)
    if nb > 65535:
        raise UnsupportedOpError(f"device 'cuda' matmul: {nb} batches, at most 65535")
    ba = strided(batch, [s * M * K for s in dense_strides(batch)])
    bb = strided(batch, [s * K * N for s in dense_strides(batch)])
    if out.numel:
        kernel(f"matmul_{sfx(a)}")(ba, bb, out.ptr, a.ptr, b.ptr, I64(M), I64(N), I64(K),
                                  global_size=(-(-N // 16), -(-M // 16), nb),
                                  local_size=(16, 16))


def _axis_args(index_shape, axis, target_shape):
    st = dense_strides(target_shape)
    inner = math.prod(index_shape[axis + 1:])
    return (strided(index_shape, st), I64(st[axis]), I64(index_shape[axis]), I64(inner),
            I64(target_shape[axis]))


def _check_index():
    if FLAG.raised():
        raise OutOfRangeError("index out of range in self")


def _check_axis_index(index: Operand, size: int, axis: int) -> None:
    """gather and scatter_add take indices in [0, size): after a fault, read them back to name
    the bad one in the cpu kernel's class and words (torch's)."""
    if FLAG.raised():
        values = download(index.mem)[index.offset:index.offset + index.numel]
        lo, hi = int(values.min()), int(values.max())
        bad = hi if hi >= size else lo
        raise IndexValueError(f"index {bad} is out of bounds for dimension {axis} with size "
                              f"{size}", bad)


def gather(out, x, index, axis):
    xs, st, ln, inner, xdim = _axis_args(index.shape, axis, x.shape)
    launch(f"gather_{sfx(x)}", out.numel, xs, out.ptr, x.ptr, index.ptr, I64(out.numel), st, ln,
           inner, xdim, FLAG.reset())
    _check_axis_index(index, x.shape[axis], axis)


def _copy_dense(out, x):
    launch(f"copy_{sfx(out)}_{sfx(x)}", out.numel, strided(out.shape, dense_strides(out.shape)),
           strided(x.shape, dense_strides(x.shape)), out.ptr, x.ptr, I64(out.numel))


def scatter_add(out, x, index, src, axis):
    _copy_dense(out, x)
    os_, st, ln, inner, xdim = _axis_args(index.shape, axis, out.shape)
    ss = strided(index.shape, dense_strides(src.shape))
    launch(f"scatter_add_{sfx(out)}", index.numel, os_, ss, out.ptr, index.ptr, src.ptr,
           I64(index.numel), st, ln, inner, xdim, FLAG.reset())
    _check_axis_index(index, out.shape[axis], axis)


def index_meta(x, indices, positions):
    """The IndexMeta of ops.cu for x[...] with int arrays at `positions` (numpy's rules: the
    broadcast index dims replace the indexed dims where those are adjacent, else go first)."""
    if len(indices) > 4:
        raise UnsupportedOpError("device 'cuda' indexes with at most 4 index tensors")
    pairs = sorted(zip(positions, indices), key=lambda p: p[0])
    positions, indices = [p for p, _ in pairs], [i for _, i in pairs]
    bs = list(np.broadcast_shapes(*(i.shape for i in indices)))
    rest = [d for d in range(len(x.shape)) if d not in positions]
    adjacent = positions == list(range(positions[0], positions[0] + len(positions)))
    bdims = [-1 - k for k in range(len(bs))]
    if adjacent:
        p0 = positions[0]
        roles = [d for d in rest if d < p0] + bdims + [d for d in rest if d > p0]
    else:
        roles = bdims + rest
    shape = [x.shape[r] if r >= 0 else bs[-1 - r] for r in roles]
    if len(shape) > MAXD or len(bs) > MAXD:
        raise UnsupportedOpError(f"device 'cuda' handles tensors of up to {MAXD} dims")
    m = np.zeros(66, np.int64)
    m[0], m[1] = len(shape), len(indices)
    m[2:2 + len(shape)] = shape
    m[10:10 + len(roles)] = roles
    m[18:18 + len(x.shape)] = dense_strides(x.shape)
    for j, (p, idx) in enumerate(zip(positions, indices)):
        m[26 + j], m[30 + j] = p, x.shape[p]
        ist = dense_strides(idx.shape)
        lead = len(bs) - len(idx.shape)
        for d in range(len(bs)):
            k = d - lead
            m[34 + 8 * j + d] = 0 if k < 0 or idx.shape[k] == 1 else ist[k]
    return m, shape, indices


def _index_ptrs(indices):
    for i in indices:
        if i.dtype != np.int64:
            raise UnsupportedOpError(f"device 'cuda' indexes with int64 tensors, got {i.dtype}")
    ptrs = [i.ptr for i in indices]
    return ptrs + [ptrs[0]] * (4 - len(ptrs))


def index(out, x, *indices, positions):
    m, shape, indices = index_meta(x, indices, positions)
    launch(f"index_{sfx(x)}", out.numel, m, out.ptr, x.ptr, *_index_ptrs(indices),
           I64(out.numel), FLAG.reset())
    _check_index()


def index_put(out, x, src, *indices, positions, accumulate):
    _copy_dense(out, x)
    m, shape, indices = index_meta(x, indices, positions)
    n = math.prod(shape)
    sst = dense_strides(src.shape) if src.step else [0] * len(src.shape)
    lead = len(shape) - len(src.shape)
    ss = strided(shape, [0 if d < lead or src.shape[d - lead] == 1 else sst[d - lead]
                         for d in range(len(shape))])
    launch(f"index_put_{sfx(out)}", n, m, ss, out.ptr, src.ptr, *_index_ptrs(indices), I64(n),
           np.int32(bool(accumulate)), FLAG.reset())
    _check_index()


def argsort(out, x, axis, descending):
    length = x.shape[axis]
    inner = math.prod(x.shape[axis + 1:])
    rows = x.numel // length if length else 0
    if rows:
        kernel(f"argsort_{sfx(x)}")(out.ptr, x.ptr, I64(rows), I64(length), I64(inner),
                                    np.int32(bool(descending)),
                                    global_size=(min(rows, 65535),), local_size=(128,))


# *** 4. ch2's fused layers: the row kernels of softmax.cu, layernorm.cu, cross_entropy.cu ***
# float32 rows of the last dim, dense (the dispatcher copies every operand dense first); what
# they do not take (another axis, float64) and the layer norm backward run as ch2's
# decompositions.

ROW_CAP = 256 * 8 * 4  # the longest row the register-cached rungs hold; longer ones stream


def row_kernel(file: str, name: str):
    return GPU.build(name, kernel_source(file))


def row_shape(x: Operand, n_dims: int = 1) -> tuple[int, int]:
    cols = math.prod(x.shape[len(x.shape) - n_dims:])
    return (x.numel // cols if cols else 0), cols


def fused_softmax(out, x, axis):
    if axis != len(x.shape) - 1:
        return NotImplemented
    n, c = row_shape(x)
    name = "softmax_v4_registers" if c <= ROW_CAP else "softmax_v3_online"
    if n:
        row_kernel("softmax", name)(x.ptr, out.ptr, global_size=(n,), local_size=(256,),
                                    vals=(n, c))


def dense_row(v: Operand, n: int) -> Operand:
    """A weight or bias as n dense floats: itself, or a python number's constant spread out."""
    if v.step:
        return v
    row = Operand(CudaMemory(n, v.dtype), (n,), (1,), 0)
    copy(row, v)
    return row


def fused_layer_norm(out, mean, rstd, x, w, b, n_dims, eps):
    if w.dtype != x.dtype or b.dtype != x.dtype:  # a float64 weight: not the kernel's floats
        return NotImplemented
    n, c = row_shape(x, n_dims)
    name = "layernorm_v2_registers" if c <= ROW_CAP else "layernorm_v1_block"
    # NOTE: held in names until the launch: a freed row's memory would go to the next one
    w, b = dense_row(w, c), dense_row(b, c)
    if n:
        row_kernel("layernorm", name)(x.ptr, w.ptr, b.ptr, out.ptr, mean.ptr, rstd.ptr,
                                      global_size=(n,), local_size=(256,),
                                      vals=(n, c, float(eps)))


def cross_entropy_launch(logits, target, loss, dlogits):
    """cross_entropy_fused: loss per row, and dlogits = softmax - onehot (dloss 1) if given.
    ch2 passes ignored rows' targets as 0, so no target equals the ignore_index -1."""
    n, v = logits.shape
    row_kernel("cross_entropy", "cross_entropy_fused")(
        logits.ptr, target.ptr, loss.ptr, 0 if dlogits is None else dlogits.ptr,
        global_size=(n,), local_size=(256,), vals=(n, v, 1.0, I64(-1)))


def fused_cross_entropy(loss, logits, target):
    n, v = logits.shape
    if not n:
        return
    targets = download(target.mem)  # the range check reads them, as gather's check syncs
    bad = (targets < 0) | (targets >= v)
    if bad.any():
        value = int(targets[bad][0])
        raise IndexValueError(f"index {value} is out of bounds for dimension 1 with size {v}",
                              value)
    cross_entropy_launch(logits, target, loss, None)


def fused_cross_entropy_backward(dlogits, logits, target, dloss):
    """softmax - onehot from the fused kernel, then times dloss[n] per row (the kernel takes one
    dloss for all rows): three passes where the decomposition makes eight."""
    n, v = logits.shape
    if dloss.dtype != logits.dtype:
        return NotImplemented
    if not n:
        return
    loss = Operand(CudaMemory(n, dloss.dtype), (n,), (1,), 0)  # computed again, not needed
    cross_entropy_launch(logits, target, loss, dlogits)
    scale = Operand(CudaMemory(n * v, dloss.dtype), (n, v), (v, 1), 0)
    copy(scale, Operand(dloss.mem, (n, v), (1, 0), dloss.offset))  # dloss[n] along each row
    binary("mul")(dlogits, dlogits, scale)


ALL, NUMBERS, FLOATS = DTYPES, (int32, int64, float32, float64), (float32, float64)
KERNELS = {
    Ops.FILL: (fill, ALL), Ops.COPY: (copy, ALL),
    Ops.NEG: (unary("neg"), NUMBERS), Ops.EXP: (unary("exp"), FLOATS),
    Ops.LOG: (unary("log"), FLOATS), Ops.SQRT: (unary("sqrt"), FLOATS),
    Ops.SIN: (unary("sin"), FLOATS), Ops.FLOOR: (unary("floor"), FLOATS),
    Ops.ADD: (binary("add"), ALL), Ops.MUL: (binary("mul"), ALL), Ops.DIV: (binary("div"), FLOATS),
    Ops.FLOORDIV: (binary("floordiv", lambda: IntegerDivisionError("ZeroDivisionError")), NUMBERS),
    Ops.POW: (binary("pow", lambda: DTypeError("Integers to negative integer powers are not "
                                               "allowed.")), NUMBERS),
    Ops.MAX: (binary("max"), ALL), Ops.CMPLT: (binary("cmplt"), ALL),
    Ops.CMPEQ: (binary("cmpeq"), ALL), Ops.WHERE: (where, ALL),
    Ops.SUM: (reduction("sum"), ALL), Ops.REDUCE_MAX: (reduction("rmax"), ALL),
    Ops.ARGMAX: (reduction("argmax"), ALL), Ops.MATMUL: (matmul, NUMBERS),
    Ops.GATHER: (gather, ALL), Ops.SCATTER_ADD: (scatter_add, NUMBERS),
    Ops.INDEX: (index, ALL), Ops.INDEX_PUT: (index_put, NUMBERS), Ops.ARGSORT: (argsort, ALL),
}
FUSED_KERNELS = {
    Ops.SOFTMAX: (fused_softmax, (float32,)), Ops.LAYER_NORM: (fused_layer_norm, (float32,)),
    Ops.CROSS_ENTROPY: (fused_cross_entropy, (float32,)),
    Ops.CROSS_ENTROPY_BACKWARD: (fused_cross_entropy_backward, (float32,)),
}
for _op, (_fn, _dtypes) in {**KERNELS, **FUSED_KERNELS}.items():
    register("cuda", _op, _fn, _dtypes)
assert not DEVICE.missing_core(), DEVICE.missing_core()
