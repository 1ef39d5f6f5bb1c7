"""The primitive ops, the device contract and the dispatcher: every computation goes through `run`.

`Ops` lists the primitives. A device implements at least the `CORE` ops (26); every other
primitive has a decomposition into core ops (decompositions.py), used when the device has no
kernel of its own. The `FUSED` ones are whole layers (softmax, layer norm, cross-entropy), which
a device may run as one kernel each instead of the half dozen the decomposition launches.
Chapter 3 registers "c", "cuda" and "wgpu" through `register_device` and `register`, chapter 4
a device whose `buffer_class` records a graph; this chapter knows neither.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto

from ch2_lego.dtype import DTYPES, PT_NAMES, DType
from ch2_lego.errors import DeviceError, DTypeError, UnsupportedOpError

# *** 1. the primitive set ***


# --8<-- [start:ops]
class Ops(Enum):
    """Every primitive; a device implements the CORE ones and may implement any of the others."""

    # Members are singletons: hash by identity, in C, instead of Enum's hash of the name in
    # Python (every op looks its op up in a few dicts and sets)
    __hash__ = object.__hash__

    # constants: out[i] = value, a python scalar operand (no upload)
    FILL = auto()
    # unary: out[i] = f(x[i])
    NEG = auto()  # -x
    EXP = auto()  # e^x
    LOG = auto()  # ln x
    SQRT = auto()
    SIN = auto()
    COS = auto()
    TANH = auto()
    ERF = auto()  # for the exact gelu
    ABS = auto()
    SIGN = auto()
    NOT = auto()  # logical not
    FLOOR = auto()
    CEIL = auto()
    ROUND = auto()  # half to even
    # binary: out[i] = f(a[i], b[i]), operands already broadcast (stride 0) to out's shape
    ADD = auto()
    SUB = auto()
    MUL = auto()
    DIV = auto()
    POW = auto()
    MOD = auto()  # python's %: the sign follows the divisor
    FLOORDIV = auto()
    MAX = auto()  # elementwise maximum
    MIN = auto()
    CMPLT = auto()  # a < b; gt and ge swap the operands
    CMPLE = auto()
    CMPEQ = auto()
    CMPNE = auto()
    AND = auto()  # logical and, or, xor
    OR = auto()
    XOR = auto()
    # ternary: out[i] = a[i] if cond[i] else b[i]
    WHERE = auto()
    # reduce over arg `axes` (keepdim is a view, done by Tensor): out[j] = reduce_i x[j, i]
    SUM = auto()
    PROD = auto()
    REDUCE_MAX = auto()  # the largest along axes (MAX is the elementwise maximum of two)
    REDUCE_MIN = auto()
    ARGMAX = auto()  # arg `axes` holds one axis
    ARGMIN = auto()
    ANY = auto()
    ALL = auto()
    CUMSUM = auto()  # a scan along arg `axis`
    ARGSORT = auto()  # out = indices that sort x along arg `axis` (arg `descending`), stably
    # contraction: out[b, m, n] = sum_k a[b, m, k] * b[b, k, n]
    MATMUL = auto()
    # data movement: copies (with a dtype cast) and the index ops embeddings need
    COPY = auto()  # out[i] = x[i], casting to out's dtype
    GATHER = auto()  # out[.., i, ..] = x[.., index[.., i, ..], ..] along arg `axis`
    SCATTER_ADD = auto()  # out = x, then out[.., index[i], ..] += src[i] along arg `axis`
    INDEX = auto()  # out = x[indices]: numpy-style advanced indexing with int arrays
    INDEX_PUT = auto()  # out = x, then out[indices] = src (or += with arg `accumulate`)
    # fused layers, optional (FUSED): a device may run each in one pass over memory
    SOFTMAX = auto()  # out = softmax(x) along arg `axis`
    LOG_SOFTMAX = auto()  # out = log softmax(x) along arg `axis`
    SOFTMAX_BACKWARD = auto()  # (dx, y, dy): dx = y (dy - sum(dy y)) along `axis`, y = softmax
    LAYER_NORM = auto()  # (out, mean, rstd, x, w, b) over the last arg `n_dims` dims, arg `eps`
    LAYER_NORM_BACKWARD = auto()  # (dx, dw, db, dout, x, mean, rstd, w)
    CROSS_ENTROPY = auto()  # (loss, logits, target): loss[n] = -log softmax(logits[n])[target[n]]
    CROSS_ENTROPY_BACKWARD = auto()  # (dlogits, logits, target, dloss): (p - onehot) dloss[n]
# --8<-- [end:ops]


UNARY = {Ops.NEG, Ops.EXP, Ops.LOG, Ops.SQRT, Ops.SIN, Ops.COS, Ops.TANH, Ops.ERF, Ops.ABS,
         Ops.SIGN, Ops.NOT, Ops.FLOOR, Ops.CEIL, Ops.ROUND}
BINARY = {Ops.ADD, Ops.SUB, Ops.MUL, Ops.DIV, Ops.POW, Ops.MOD, Ops.FLOORDIV, Ops.MAX, Ops.MIN,
          Ops.CMPLT, Ops.CMPLE, Ops.CMPEQ, Ops.CMPNE, Ops.AND, Ops.OR, Ops.XOR}
COMPARE = {Ops.CMPLT, Ops.CMPLE, Ops.CMPEQ, Ops.CMPNE, Ops.AND, Ops.OR, Ops.XOR, Ops.NOT}
REDUCE = {Ops.SUM, Ops.PROD, Ops.REDUCE_MAX, Ops.REDUCE_MIN, Ops.ARGMAX, Ops.ARGMIN, Ops.ANY,
          Ops.ALL}
ELEMENTWISE = UNARY | BINARY | {Ops.WHERE}

# --8<-- [start:core]
# What every device must implement. Each other primitive is a composition of these
# (decompositions.py), run when a device has no kernel of its own for it.
CORE = frozenset({
    Ops.FILL, Ops.COPY,                                                    # memory
    Ops.NEG, Ops.EXP, Ops.LOG, Ops.SQRT, Ops.SIN, Ops.FLOOR,               # unary
    Ops.ADD, Ops.MUL, Ops.DIV, Ops.FLOORDIV, Ops.POW, Ops.MAX,             # binary
    Ops.CMPLT, Ops.CMPEQ, Ops.WHERE,                                       # compare, select
    Ops.SUM, Ops.REDUCE_MAX, Ops.ARGMAX,                                   # reduce
    Ops.MATMUL, Ops.GATHER, Ops.SCATTER_ADD, Ops.INDEX, Ops.INDEX_PUT,     # contract, index
    Ops.ARGSORT,                                                           # sort
})
# --8<-- [end:core]

# --8<-- [start:fused]
# Layers a device may fuse into one kernel each; their decompositions are the compositions ch2
# runs everywhere else. Their kernels may take only some dtypes, and may decline the operands
# they get (return NotImplemented: a layout or an axis they do not handle); the dispatcher then
# runs the decomposition. Outputs beyond `out` (mean, rstd, dw, db) come first among the srcs.
FUSED = frozenset({Ops.SOFTMAX, Ops.LOG_SOFTMAX, Ops.SOFTMAX_BACKWARD, Ops.LAYER_NORM,
                   Ops.LAYER_NORM_BACKWARD, Ops.CROSS_ENTROPY, Ops.CROSS_ENTROPY_BACKWARD})
# --8<-- [end:fused]

# *** 2. devices ***

SCALARS = (bool, int, float)  # python numbers: operands that need no buffer
# NOTE: `type(x) in NUMBERS` is the hot-path form of type(x) in NUMBERS (a third the cost,
# on every operand of every op); numpy scalars are turned into python numbers before this layer
NUMBERS = frozenset(SCALARS)


# --8<-- [start:device]
class Device:
    """One backend: its memory, its operand handles, its kernels, and what it can take.

    Args:
        alloc: (numel, dtype) -> a flat buffer of `dtype` (already the storage dtype, below).
        from_numpy / to_numpy: host copies in (upload) and out (download) of a flat buffer;
            to_numpy may share memory on the host.
        operand: (storage, view) -> the kernels' handle for that strided view.
        scalar: (value, dtype) -> the kernels' handle for a python number (default: the number).
        dtypes: the dtypes it stores and computes; `storage_dtypes` maps others onto them
            (WGSL: {int64: int32, bool: int32}). Anything else raises DTypeError.
        contiguous_only: its kernels take only dense row-major operands at offset 0, except
            COPY, which must read any view (the dispatcher copies through it).
        buffer_class: the Buffer class its tensors use (None: the eager Buffer; chapter 4's is
            lazy).
    """

    def __init__(self, name: str, alloc: Callable, from_numpy: Callable, to_numpy: Callable,
                 operand: Callable, scalar: Callable | None = None, dtypes=DTYPES,
                 storage_dtypes: dict | None = None, contiguous_only: bool = False,
                 buffer_class: type | None = None):
        self.name, self.alloc, self.from_numpy, self.to_numpy = name, alloc, from_numpy, to_numpy
        self.operand, self.scalar = operand, scalar or (lambda value, dtype: value)
        self.dtypes, self.storage_dtypes = frozenset(dtypes), dict(storage_dtypes or {})
        self.contiguous_only, self.buffer_class = contiguous_only, buffer_class
        self.kernels: dict[Ops, tuple[Callable, frozenset[DType]]] = {}

    def storage_dtype(self, dtype: DType) -> DType:
        """The dtype this device keeps `dtype` in, or a DTypeError naming both."""
        if dtype in self.dtypes:
            return dtype
        if dtype in self.storage_dtypes:
            return self.storage_dtypes[dtype]
        stored = ", ".join(sorted(d.name for d in self.dtypes))
        raise DTypeError(f"dtype '{PT_NAMES[dtype.name]}' is not supported on device "
                         f"'{self.name}' (it stores {stored})")

    def missing_core(self) -> set[Ops]:
        return set(CORE) - set(self.kernels)

    def __repr__(self) -> str:
        return f"Device({self.name!r}, {len(self.kernels)} kernels)"
# --8<-- [end:device]


DEVICES: dict[str, Device] = {}
DECOMPOSITIONS: dict[Ops, Callable] = {}  # filled by decompositions.py


def register_device(device: Device) -> Device:
    DEVICES[device.name] = device
    return device


def register(device: str, op: Ops, kernel: Callable, dtypes) -> None:
    """Install `kernel` for `op` on `device`, for operands of the given dtypes."""
    if device not in DEVICES:
        raise DeviceError(f"register: no device '{device}' is registered; call "
                          f"register_device(Device('{device}', ...)) before its kernels")
    DEVICES[device].kernels[op] = (kernel, frozenset(dtypes))


def decomposition(op: Ops):
    """Decorator: `fn(out, *srcs, **arg)` computes `op` from core ops, for devices without it."""
    assert op not in CORE, f"{op} is a core op: every device implements it"

    def add(fn):
        DECOMPOSITIONS[op] = fn
        return fn
    return add


def canonical_device(name) -> str:
    """'cpu', 'cpu:0', 'cpu:3' -> 'cpu' (ch2 devices have one unit; torch ignores a cpu index);
    'c:0' -> 'c'. The errors give torch's words, and list the known devices."""
    text = str(name)
    base, colon, index = text.partition(":")
    if colon and not index.isdigit():
        raise DeviceError(f"Invalid device string: '{text}'")
    if base not in DEVICES:
        raise DeviceError(f"Expected one of {', '.join(DEVICES)} device type at start of device "
                          f"string: {text} (no device '{base}' is registered; a device registers "
                          f"when the package that defines it is imported)")
    return base if base == "cpu" or int(index or 0) == 0 else text


def get_device(name: str) -> Device:
    device = DEVICES.get(name)
    return device if device is not None else DEVICES[canonical_device(name).split(":")[0]]


# *** 3. dispatch ***


# --8<-- [start:run]
def run(op: Ops, out, *srcs, **arg) -> None:
    """Run `op` on the device that holds `out`, writing into out's view.

    The contract, what a kernel `kernel(out, *srcs, **arg)` receives:
    - `out` and each buffer operand as the device's handle (`Device.operand`) of a strided view:
      any strides (0 for a broadcast dim, negative for a flip) and any offset into its storage,
      unless the device is `contiguous_only` (then the dispatcher copies them dense first);
    - `out` may be the same memory as an input (x += y), element for element, never shifted;
    - a python number wherever an operand is constant (`Device.scalar` makes its handle), so
      constants need no upload; elementwise operands are broadcast to out's shape;
    - the compute dtype: the first buffer operand's (WHERE: the values'), already promoted.
    A device without a kernel for `op` gets its decomposition into core ops (and so does a FUSED
    op whose kernel does not take the dtype, or returns NotImplemented).
    """
    device = out.storage.device
    dev = DEVICES.get(device) or get_device(device)
    dtype = None
    for i, s in enumerate(srcs):
        if type(s) in NUMBERS:
            continue
        if s.storage.device != device:
            raise DeviceError(f"Expected all tensors to be on the same device, but found at "
                              f"least two devices, {device} and {s.storage.device}! (when "
                              f"checking the arguments of {op.name.lower()})")
        if dtype is None and not (i == 0 and op is Ops.WHERE):
            dtype = s.dtype
    dtype = dtype or out.dtype
    entry = dev.kernels.get(op)
    if entry is None and op in DECOMPOSITIONS:
        return DECOMPOSITIONS[op](out, *srcs, **arg)
    kernel, dtypes = entry or (None, ())
    if dtype not in dtypes:
        if op in FUSED:  # a fused kernel for some dtypes only: the others decompose
            return DECOMPOSITIONS[op](out, *srcs, **arg)
        raise UnsupportedOpError(f'"{op.name.lower()}" not implemented for '
                                 f"'{PT_NAMES[dtype.name]}' on device '{device}'")
    if dev.contiguous_only and op is not Ops.COPY:
        done = _run_dense(dev, kernel, out, srcs, dtype, arg)
    else:
        scalar = dev.scalar
        done = kernel(handle(dev, out), *[scalar(s, dtype) if type(s) in NUMBERS
                                          else handle(dev, s) for s in srcs], **arg)
    if done is NotImplemented:  # a fused kernel declined these operands
        DECOMPOSITIONS[op](out, *srcs, **arg)
# --8<-- [end:run]


def handle(dev: Device, b):
    """b's kernel handle, `dev.operand(b.storage, b.view)`, made once per buffer and kept
    (a buffer is used by several kernels: written by one, read by the next ones)."""
    try:
        h = b.handle
    except AttributeError:  # a buffer class that does not keep one
        return dev.operand(b.storage, b.view)
    if h is None:
        h = b.handle = dev.operand(b.storage, b.view)
    return h


def _dense(b) -> bool:
    return b.view.offset == 0 and b.view.is_contiguous() and b.view.numel == len(b.storage)


def _run_dense(dev: Device, kernel, out, srcs, dtype, arg) -> None:
    """A contiguous_only device: copy strided operands dense (COPY takes any view), run, and copy
    the result back if `out` itself is strided."""
    dense = []
    for s in srcs:
        if type(s) not in NUMBERS and not _dense(s):
            s = s.contiguous(force=True)
        dense.append(s)
    target = out if _dense(out) else type(out).empty(out.shape, out.dtype, out.device)
    done = kernel(dev.operand(target.storage, target.view),
                  *[dev.scalar(s, dtype) if type(s) in NUMBERS else dev.operand(s.storage, s.view)
                    for s in dense], **arg)
    if target is not out and done is not NotImplemented:
        run(Ops.COPY, out, target)
    return done
