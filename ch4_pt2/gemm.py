"""The library matmul: a kernel whose matmul is one call of the CPU's BLAS, and the rest generated.

Generated loops reach a few GFLOP/s on a matmul; a BLAS sgemm, with its packed panels and
register-blocked micro-kernels written per CPU, reaches several times that. Inductor makes the
same split on the CPU: a matmul is an "extern kernel" (a library call) or a template, and the
elementwise code around it is generated. Here a kernel of the form

    out[b, m, n] = epilogue(sum_k A[b, m, k] * B[b, k, n], other loads at [b, m, n])

calls the sgemm (dgemm for float64) of the OpenBLAS that numpy ships into `out`, then runs its
generated epilogue loop over `out` in place, in the same C function: the epilogue stays fused,
reading each matmul result while it is still in cache. The BLAS gets A and B where they lie:
each operand must be a strided view (no mask, no negative stride) with one unit stride, which
the scheduler ensures by realizing what the matmul reads (see `operand_bases`).
Not used (the generated loops run instead): integer matmuls, small ones (below GEMM_WORK
multiply-adds), operands a view cannot give to a BLAS, and a kernel that reads its matmul at
other indices than it writes (a transposed or reduced result).
"""

from __future__ import annotations

import ctypes
import glob
import math
import os
import weakref
from dataclasses import dataclass

import numpy as np

from ch2_lego.dtype import DType
from ch4_pt2.ops import GroupOp, Ops, UOp

GEMM_WORK = 16 * 16 * 16  # multiply-adds below which the generated loops win (the call costs)
MATMULS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # REDUCE_AXIS -> (a, b)
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS's enum values


def find_blas() -> dict[str, int]:
    """The addresses of cblas_sgemm and cblas_dgemm (64-bit integers) in numpy's OpenBLAS, or
    {} where numpy ships none (then every matmul is generated code)."""
    if os.environ.get("CH4_NO_BLAS"):
        return {}
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "libscipy_openblas64_*.so*"))):
        try:
            lib = ctypes.CDLL(path)
            return {name: ctypes.cast(getattr(lib, f"scipy_cblas_{name}gemm64_"),
                                      ctypes.c_void_p).value for name in ("s", "d")}
        except (OSError, AttributeError):
            continue
    return {}


BLAS = find_blas()


def register(total: UOp, a: UOp, b: UOp) -> None:
    """Note that `total` (a REDUCE_AXIS) is a @ b: a (*batch, M, K), b (*batch, K, N)."""
    MATMULS[total] = (a, b)


def wants_library(a: UOp, b: UOp) -> bool:
    """Whether a @ b goes to the BLAS: a float32/64 matmul with enough work, where we have one."""
    *batch, m, k = a.shape
    n = b.shape[-1]
    return bool(BLAS) and a.dtype.name in ("float32", "float64") and \
        math.prod(batch) * m * n * k >= GEMM_WORK


def operand_bases(node: UOp) -> list[UOp]:
    """What a library matmul reads from memory: each operand with its movement ops peeled off
    (those become its strides). The scheduler realizes the ones that are not buffers."""
    out = []
    for x in MATMULS.get(node, ()):
        while x.op in GroupOp.Movement and x.op not in (Ops.PAD, Ops.FLIP):
            x = x.src[0]
        out.append(x)
    return out


# *** the call: which BLAS arguments a view gives ***


@dataclass(frozen=True)
class Operand:
    """One matrix per batch index: the parameter, transposed or not, its leading dimension,
    and the element offset of each batch entry's matrix (offset + sum b_i * batch_strides)."""

    param: int
    trans: int
    ld: int
    offset: int
    batch_strides: tuple[int, ...]


@dataclass(frozen=True)
class GemmCall:
    """out[b] = A[b] @ B[b] for b over `batch` (with M rows merged in where the strides allow)."""

    dtype: DType
    batch: tuple[int, ...]
    m: int
    n: int
    k: int
    a: Operand
    b: Operand


def matrix(param: int, view, rows: int, cols: int) -> Operand | None:
    """A BLAS operand from a View of shape (*batch, rows, cols), or None if it cannot be one."""
    if view is None or view.mask is not None or any(s < 0 for s in view.strides):
        return None
    *batch_strides, s_row, s_col = view.strides
    s_row = s_row if rows > 1 else cols  # a size-1 dim's stride is free: pick a legal one
    s_col = s_col if cols > 1 else 1
    if s_col == 1 and s_row >= cols:
        return Operand(param, NO_TRANS, s_row, view.offset, tuple(batch_strides))
    s_col = s_col if cols > 1 else rows
    s_row = s_row if rows > 1 else 1
    if s_row == 1 and s_col >= rows:
        return Operand(param, TRANS, s_col, view.offset, tuple(batch_strides))
    return None


def gemm_call(dtype: DType, shape: tuple[int, ...], k: int, a: Operand | None,
              b: Operand | None) -> GemmCall | None:
    """The call for out (*batch, M, N) = A (*batch, M, K) @ B (*batch, K, N); batch dims where
    B does not move and A's rows continue into them are merged into M (one larger call)."""
    if a is None or b is None:
        return None
    *batch, m, n = shape
    batch = list(batch)
    a_strides, b_strides = list(a.batch_strides), list(b.batch_strides)
    while batch and a.trans == NO_TRANS and (b_strides[-1] == 0 or batch[-1] == 1) and \
            (a_strides[-1] == m * a.ld or batch[-1] == 1):
        m *= batch.pop()
        a_strides.pop()
        b_strides.pop()
    a = Operand(a.param, a.trans, a.ld, a.offset, tuple(a_strides))
    b = Operand(b.param, b.trans, b.ld, b.offset, tuple(b_strides))
    return GemmCall(dtype, tuple(batch), m, n, k, a, b)


# --8<-- [start:render_gemm]
def render_gemm(call: GemmCall, type_name: str) -> list[str]:
    """C lines that call the BLAS (its address is the kernel's parameter `gemm`) into data0."""
    prefix = "s" if call.dtype.name == "float32" else "d"
    lines = [f"typedef void (*gemm_t)(long, long, long, long, long, long, {type_name}, "
             f"const {type_name}*, long, const {type_name}*, long, {type_name}, "
             f"{type_name}*, long);",
             f"gemm_t {prefix}gemm = (gemm_t)gemm;"]
    idx = [f"b{i}" for i in range(len(call.batch))]
    for i, size in enumerate(call.batch):
        lines.append("  " * i + f"for (long b{i} = 0; b{i} < {size}; b{i}++) {{")
    pad = "  " * len(call.batch)

    def at(op: Operand) -> str:
        terms = [str(op.offset)] + [f"b{i}*{s}" for i, s in enumerate(op.batch_strides) if s]
        return f"data{op.param} + {' + '.join(terms)}"
    out = " + ".join(f"b{i}*{math.prod(call.batch[i + 1:]) * call.m * call.n}"
                     for i in range(len(idx))) or "0"
    a, b = call.a, call.b
    lines.append(f"{pad}{prefix}gemm({ROW_MAJOR}, {a.trans}, {b.trans}, {call.m}, {call.n}, "
                 f"{call.k}, 1, {at(a)}, {a.ld}, {at(b)}, {b.ld}, 0, data0 + {out}, "
                 f"{call.n});")
    lines += ["  " * i + "}" for i in reversed(range(len(call.batch)))]
    return lines
# --8<-- [end:render_gemm]
