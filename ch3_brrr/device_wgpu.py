"""ch2's device "wgpu": ch2 tensors in GPU buffers, ch2's primitives as WGSL kernels.

Importing this module registers the device with ch2 (`x.to("wgpu")`), through ch2's device
contract only; it raises DeviceNotFoundError, naming what to install, where no adapter opens.
The dtype policy, as WGSL has no 64-bit and no bool storage:
  float32  computed and stored as f32;
  int32    i32;
  int64    stored and computed as i32: indices and counts fit; an upload of a value beyond
           +-2^31 raises ch2's DTypeError, and arithmetic past it wraps;
  bool     stored as i32 words holding 0 or 1;
  float64  not supported: ch2 raises its DTypeError naming the dtype and the device.
Kernels come from kernels_wgpu.py; each op's scalar function is one WGSL expression below.
Of ch2's optional fused layers it runs softmax and the cross-entropy forward as row kernels.
A GPU kernel cannot raise: the checks ch2 wants from kernels (integer // or % by zero, integer
** negative, index ranges) are made in the kernel, which flags a fault word; the error is raised
at the next download, as CUDA reports device-side asserts at the next sync.
"""

from __future__ import annotations

import numpy as np

from ch2_lego import backend
from ch2_lego.backend import Ops
from ch2_lego.dtype import bool_, float32, int32, int64
from ch2_lego.errors import DTypeError, IndexValueError, IntegerDivisionError, OutOfRangeError
from ch3_brrr import kernels_wgpu as K

FLOAT, INTS = (float32,), (int32, int64)
NUMBERS, ALL = FLOAT + INTS, FLOAT + INTS + (bool_,)
NEG_INF = {"f32": "bitcast<f32>(0xff800000u)", "i32": "-2147483647 - 1"}
POS_INF = {"f32": "bitcast<f32>(0x7f800000u)", "i32": "2147483647"}

# *** 1. memory and operands ***


# what kernels flag (kernels_wgpu.FaultWord), by fault code: ch2's error and PyTorch's words
ZERO_DIVISOR, NEGATIVE_POWER = 1, 2  # the integer checks (gather's and index's are 3 and 4)
FAULTS = {
    ZERO_DIVISOR: (IntegerDivisionError, "ZeroDivisionError"),
    NEGATIVE_POWER: (DTypeError, "Integers to negative integer powers are not allowed."),
    K.GATHER_FAULT: (IndexValueError, "index {} is out of bounds for its dimension"),
    K.INDEX_FAULT: (OutOfRangeError, "index {} is out of bounds for its dimension"),
    K.TARGET_FAULT: (OutOfRangeError, "Target {} is out of bounds."),
}


def to_numpy(data: K.WGPUStorage) -> np.ndarray:
    """Download a storage's words, raising first what a kernel flagged since the last read."""
    try:
        return K.download(data)
    except K.KernelFault as fault:
        error, words = FAULTS[fault.code]
        raise error(words.format(fault.value) + " (in a kernel on device 'wgpu', reported at "
                    "the first read after it)") from None


def alloc(numel: int, dtype) -> K.WGPUStorage:
    return K.alloc(numel, K.WGSL_TYPE[dtype.name])


def from_numpy(flat: np.ndarray) -> K.WGPUStorage:
    """Upload a flat host array already in a storage dtype (float32 or int32; ch2 converts and
    range-checks int64 and bool)."""
    return K.upload(flat, "f32" if flat.dtype.kind == "f" else "i32")


def operand(storage, view) -> K.WGPUView:
    """The kernels' handle: the view over the storage's buffer, with the logical dtype (bool
    and int64 look alike in their i32 words; a cast to bool must know)."""
    return K.WGPUView(storage.data, tuple(view.shape), tuple(view.strides), view.offset,
                      storage.dtype.name)


def scalar(value, dtype) -> K.WGPUView:
    return K.scalar(value, dtype.name)


# *** 2. elementwise ops: one WGSL expression in a, b, c per op and type ***

# --8<-- [start:expressions]
UNARY = {  # op: ({wgsl type: expression}, dtypes)
    Ops.NEG: ({"f32": "-a", "i32": "-a"}, NUMBERS),
    Ops.EXP: ({"f32": "exp(a)"}, FLOAT),
    Ops.LOG: ({"f32": "log(a)"}, FLOAT),
    Ops.SQRT: ({"f32": "sqrt(a)"}, FLOAT),
    Ops.SIN: ({"f32": "sin(a)"}, FLOAT),
    Ops.COS: ({"f32": "cos(a)"}, FLOAT),
    Ops.TANH: ({"f32": "tanh_f32(a)"}, FLOAT),
    Ops.ERF: ({"f32": "erf_f32(a)"}, FLOAT),
    Ops.ABS: ({"f32": "abs(a)", "i32": "abs(a)"}, NUMBERS),
    Ops.SIGN: ({"f32": "sign(a)", "i32": "sign(a)"}, NUMBERS),
    Ops.NOT: ({"f32": "select(0, 1, a == 0.0)", "i32": "select(0, 1, a == 0)"}, ALL),
    Ops.FLOOR: ({"f32": "floor(a)"}, FLOAT),
    Ops.CEIL: ({"f32": "ceil(a)"}, FLOAT),
    Ops.ROUND: ({"f32": "round(a)"}, FLOAT),  # WGSL rounds half to even, as torch does
}
BINARY = {
    Ops.ADD: ({"f32": "a + b", "i32": "a + b"}, ALL),
    Ops.SUB: ({"f32": "a - b", "i32": "a - b"}, NUMBERS),
    Ops.MUL: ({"f32": "a * b", "i32": "a * b"}, ALL),
    Ops.DIV: ({"f32": "a / b"}, FLOAT),
    Ops.POW: ({"f32": "pow_f32(a, b)", "i32": "pow_i32(a, b)"}, NUMBERS),
    Ops.MOD: ({"f32": "mod_f32(a, b)", "i32": "mod_i32(a, b)"}, NUMBERS),
    Ops.FLOORDIV: ({"f32": "floordiv_f32(a, b)", "i32": "floordiv_i32(a, b)"}, NUMBERS),
    Ops.MAX: ({"f32": "max_f32(a, b)", "i32": "max(a, b)"}, ALL),
    Ops.MIN: ({"f32": "-max_f32(-a, -b)", "i32": "min(a, b)"}, ALL),
    Ops.CMPLT: ({"f32": "select(0, 1, a < b)", "i32": "select(0, 1, a < b)"}, ALL),
    Ops.CMPLE: ({"f32": "select(0, 1, a <= b)", "i32": "select(0, 1, a <= b)"}, ALL),
    Ops.CMPEQ: ({"f32": "select(0, 1, a == b)", "i32": "select(0, 1, a == b)"}, ALL),
    Ops.CMPNE: ({"f32": "select(0, 1, a != b)", "i32": "select(0, 1, a != b)"}, ALL),
}
LOGIC = {  # on any type: nonzero is true
    Ops.AND: "select(0, 1, a != {z} && b != {z})",
    Ops.OR: "select(0, 1, a != {z} || b != {z})",
    Ops.XOR: "select(0, 1, (a != {z}) != (b != {z}))",
}
# --8<-- [end:expressions]
ZERO = {"f32": "0.0", "i32": "0"}


# the checks ch2 asks of integer kernels, made in the kernel: op -> (condition, fault code)
INTEGER_CHECKS = {Ops.FLOORDIV: ("b == 0", ZERO_DIVISOR), Ops.MOD: ("b == 0", ZERO_DIVISOR),
                  Ops.POW: ("b < 0", NEGATIVE_POWER)}


def elementwise_kernel(exprs: dict[str, str], fault=None):
    """The kernel of one op: `exprs` per WGSL type; `fault` (condition, code) on integers."""
    def kernel(out, *srcs):
        expr = exprs[srcs[0].wgsl]
        if out.dtype == "bool" and not expr.startswith("select"):  # True + True is True: 1
            expr = f"select(0, 1, ({expr}) != 0)"
        K.elementwise(expr, out, *srcs, fault=fault if srcs[0].wgsl == "i32" else None)
    return kernel


def cast_expr(out: K.WGPUView, x: K.WGPUView) -> str:
    """x's element `a` as out's type: bool means nonzero, float -> int truncates."""
    if out.dtype == "bool":
        return f"select(0, 1, a != {ZERO[x.wgsl]})"
    return f"{out.wgsl}(a)"


def copy(out, x) -> None:
    K.elementwise(cast_expr(out, x), out, x)


def fill(out, value) -> None:
    K.elementwise("a", out, value if isinstance(value, K.WGPUView)
                  else K.scalar(value, out.dtype))


def where(out, cond, a, b) -> None:
    K.elementwise("select(c, b, a != 0)", out, cond, a, b)


# *** 3. reductions: (combine, identity, how an element enters) per op ***

REDUCE = {  # op: (out type, x type) -> (combine, identity, element as out's type or None)
    Ops.SUM: lambda o, x: ("a + b", "0", None),
    Ops.PROD: lambda o, x: ("a * b", "1", None),
    Ops.REDUCE_MAX: lambda o, x: ("max_f32(a, b)" if o == "f32" else "max(a, b)", NEG_INF[o],
                                  None),
    Ops.REDUCE_MIN: lambda o, x: ("-max_f32(-a, -b)" if o == "f32" else "min(a, b)", POS_INF[o],
                                  None),
    Ops.ANY: lambda o, x: ("max(a, b)", "0", f"select(0, 1, v != {ZERO[x]})"),
    Ops.ALL: lambda o, x: ("min(a, b)", "1", f"select(0, 1, v != {ZERO[x]})"),
}


def reduce_kernel(recipe):
    def kernel(out, x, axes):
        K.reduce(*recipe(out.wgsl, x.wgsl), out, x, axes)
    return kernel


def argmax(out, x, axes) -> None:
    K.argmax(out, x, axes[0])


# *** 4. ch2's fused layers: the row kernels (softmax.wgsl, cross_entropy.wgsl) ***
# They take a dense (R, C) matrix from word 0 of its buffer, R <= 65535 workgroups; other
# operands are declined, and ch2 runs the decomposition. The layer norm kernel keeps no mean
# and rstd, which ch2's backward needs, and there are no backward kernels: those decompose.


def dense_rows(v: K.WGPUView) -> K.WGPUView | None:
    """v as a (R, C) matrix over the last dim, or None if it is not dense from word 0."""
    row_major = tuple(int(np.prod(v.shape[d + 1:])) for d in range(len(v.shape)))
    if v.offset or any(s != r for s, r, n in zip(v.strides, row_major, v.shape) if n > 1):
        return None
    cols = v.shape[-1] if v.shape else 1
    rows = v.numel // cols if cols else 0
    return v._replace(shape=(rows, cols), strides=(cols, 1)) if 0 < rows <= 65535 else None


def softmax(out, x, axis):
    rows_out, rows_x = dense_rows(out), dense_rows(x)
    if axis != len(x.shape) - 1 or rows_out is None or rows_x is None:
        return NotImplemented
    K.softmax(rows_out, rows_x)


def cross_entropy(loss, logits, target):
    rows = dense_rows(logits)
    if rows is None or dense_rows(target) is None or dense_rows(loss) is None:
        return NotImplemented
    # ch2 passes the targets of ignored rows as 0, so no target equals ignore_index -1 here
    K.cross_entropy(loss, rows, target, ignore_index=-1)


# *** 5. registration ***


def register() -> backend.Device:
    """Register device "wgpu" and its kernels with ch2 (once; later calls return it)."""
    if "wgpu" in backend.DEVICES:
        return backend.DEVICES["wgpu"]
    K.device()  # open the adapter now: a missing driver fails here, by name
    dev = backend.register_device(backend.Device(
        "wgpu", alloc=alloc, from_numpy=from_numpy, to_numpy=to_numpy, operand=operand,
        scalar=scalar, dtypes=(float32, int32), storage_dtypes={int64: int32, bool_: int32}))
    for op, (exprs, dtypes) in {**UNARY, **BINARY}.items():
        backend.register("wgpu", op, elementwise_kernel(exprs, INTEGER_CHECKS.get(op)), dtypes)
    for op, template in LOGIC.items():
        exprs = {t: template.format(z=z) for t, z in ZERO.items()}
        backend.register("wgpu", op, elementwise_kernel(exprs), ALL)
    for op, recipe in REDUCE.items():
        backend.register("wgpu", op, reduce_kernel(recipe), ALL)
    others = {
        Ops.FILL: (fill, ALL), Ops.COPY: (copy, ALL), Ops.WHERE: (where, ALL),
        Ops.ARGMAX: (argmax, ALL), Ops.MATMUL: (K.matmul, FLOAT),
        Ops.GATHER: (K.gather, ALL), Ops.SCATTER_ADD: (K.scatter_add, ALL),
        Ops.INDEX: (K.index, ALL), Ops.INDEX_PUT: (K.index_put, ALL),
        Ops.ARGSORT: (K.argsort, ALL),
        Ops.SOFTMAX: (softmax, FLOAT), Ops.CROSS_ENTROPY: (cross_entropy, FLOAT),
    }
    for op, (kernel, dtypes) in others.items():
        backend.register("wgpu", op, kernel, dtypes)
    return dev


WGPU = register()
