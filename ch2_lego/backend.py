"""The primitive ops and the per-device dispatch table: every computation goes through `run`.

`Ops` lists the whole primitive set; a device registers one kernel per (op, dtypes) and chapter 3
registers "c", "cuda" and "wgpu" the same way, without changing this chapter. A kernel writes its
result into `out`: `kernel(out, *srcs, **arg)`, where each operand is the device's handle for a
strided view of a storage (on "cpu": a numpy array made with ndarray(buffer=...)).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto

from ch2_lego.dtype import PT_NAMES, DType
from ch2_lego.errors import DeviceError, UnsupportedOpError
from ch2_lego.storage import Storage, View

# *** 1. the primitive set ***


# --8<-- [start:ops]
class Ops(Enum):
    """Every op a device must implement; Tensor composes all the rest from these."""

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
    RMAX = auto()
    RMIN = auto()
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
# --8<-- [end:ops]


UNARY = {Ops.NEG, Ops.EXP, Ops.LOG, Ops.SQRT, Ops.SIN, Ops.COS, Ops.TANH, Ops.ERF, Ops.ABS,
         Ops.SIGN, Ops.NOT, Ops.FLOOR, Ops.CEIL, Ops.ROUND}
BINARY = {Ops.ADD, Ops.SUB, Ops.MUL, Ops.DIV, Ops.POW, Ops.MOD, Ops.FLOORDIV, Ops.MAX, Ops.MIN,
          Ops.CMPLT, Ops.CMPLE, Ops.CMPEQ, Ops.CMPNE, Ops.AND, Ops.OR, Ops.XOR}
REDUCE = {Ops.SUM, Ops.PROD, Ops.RMAX, Ops.RMIN, Ops.ARGMAX, Ops.ARGMIN, Ops.ANY, Ops.ALL}


# *** 2. devices ***


class Device:
    """One backend: memory (alloc, from_numpy, to_numpy), operand handles and a kernel table.

    Args:
        alloc: (numel, dtype) -> a flat buffer for a Storage.
        from_numpy / to_numpy: host copies in and out (to_numpy may share memory on the host).
        operand: (storage, view) -> the kernels' handle for that strided view.
    """

    def __init__(self, name: str, alloc: Callable, from_numpy: Callable, to_numpy: Callable,
                 operand: Callable):
        self.name, self.alloc, self.from_numpy, self.to_numpy = name, alloc, from_numpy, to_numpy
        self.operand = operand
        self.kernels: dict[Ops, tuple[Callable, frozenset[DType]]] = {}

    def __repr__(self) -> str:
        return f"Device({self.name!r}, {len(self.kernels)} kernels)"


DEVICES: dict[str, Device] = {}


def register_device(device: Device) -> Device:
    DEVICES[device.name] = device
    return device


def register(device: str, op: Ops, kernel: Callable, dtypes) -> None:
    """Install `kernel` for `op` on `device`, for inputs of the given dtypes."""
    DEVICES[device].kernels[op] = (kernel, frozenset(dtypes))


def get_device(name: str) -> Device:
    base = str(name).split(":")[0]
    if base not in DEVICES:
        raise DeviceError(f"Expected one of {', '.join(DEVICES)} device type at start of device "
                          f"string: {name}")
    return DEVICES[base]


# *** 3. dispatch ***


# --8<-- [start:run]
def run(op: Ops, out: tuple[Storage, View], *srcs: tuple[Storage, View], dtype: DType,
        **arg) -> None:
    """Run `op` on the device that holds every operand, writing into the view `out`.

    `dtype` is the dtype the kernel computes in (the inputs' dtype, already promoted); the error
    for a missing kernel names the op, the dtype and the device, as PyTorch's does.
    """
    device = out[0].device
    for storage, _ in srcs:
        if storage.device != device:
            raise DeviceError(f"Expected all tensors to be on the same device, but found at "
                              f"least two devices, {device} and {storage.device}! (when "
                              f"checking the arguments of {op.name.lower()})")
    dev = DEVICES[device]
    kernel, dtypes = dev.kernels.get(op, (None, ()))  # no kernel for op: no dtype passes
    if dtype not in dtypes:
        raise UnsupportedOpError(f'"{op.name.lower()}" not implemented for '
                                 f"'{PT_NAMES[dtype.name]}' on device '{device}'")
    operand = dev.operand
    kernel(operand(*out), *[operand(*s) for s in srcs], **arg)
# --8<-- [end:run]
