"""The IR: one enum of operations and one immutable, hash-consed node, `UOp(op, dtype, src, arg)`.

Two levels share the node. The tensor graph (what capture records) has BUFFER and CONST leaves,
ALU ops, REDUCE_AXIS and the movement ops; every node has a `shape`. The kernel IR (what
lowering makes of one kernel) has DEFINE_GLOBAL, RANGE, LOAD, STORE, REDUCE and the same ALU
ops over scalars; its integer nodes know their bounds (`vmin`, `vmax`), which the index rules
use. Building the same node twice returns the same object, so `is` is structural equality.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from enum import Enum, auto
from functools import cached_property
from typing import Any

from ch2_lego.dtype import DType, bool_, int64
from ch2_lego.errors import IndexValueError, OutOfRangeError


# --8<-- [start:ops]
class Ops(Enum):
    # *** leaves ***
    BUFFER = auto()  # realized memory; arg = (buffer id, shape)
    CONST = auto()  # a scalar; arg = its Python value (a tensor constant is CONST + EXPAND)
    DEFINE_GLOBAL = auto()  # kernel IR: a kernel parameter; arg = its position
    RANGE = auto()  # kernel IR: a loop variable 0 <= r < size; arg = (name, size)

    # *** movement ops: tensor graph only, lowered to index arithmetic ***
    RESHAPE = auto()  # arg = new shape
    PERMUTE = auto()  # arg = order of the old axes
    EXPAND = auto()  # arg = new shape; only size-1 axes grow
    PAD = auto()  # arg = ((before, after), ...) zeros
    SHRINK = auto()  # arg = ((start, end), ...)
    FLIP = auto()  # arg = axes to reverse
    AS_STRIDED = auto()  # arg = (shape, strides, offset) over a 1-D input (a storage)

    # *** unary ALU ***
    NEG = auto()  # -x
    EXP = auto()
    LOG = auto()
    SQRT = auto()
    SIN = auto()
    COS = auto()
    TANH = auto()
    ERF = auto()
    ABS = auto()
    SIGN = auto()
    NOT = auto()  # logical not
    FLOOR = auto()
    CEIL = auto()
    ROUND = auto()  # half to even
    RECIP = auto()  # 1/x
    CAST = auto()  # to the node's dtype

    # *** binary ALU ***
    ADD = auto()
    SUB = auto()
    MUL = auto()
    DIV = auto()  # true division
    IDIV = auto()  # floor division (C's / where both sides are >= 0)
    MOD = auto()  # Python's %: the sign follows the divisor
    POW = auto()
    MAX = auto()
    MIN = auto()
    CMPLT = auto()  # a < b
    CMPLE = auto()
    CMPEQ = auto()
    CMPNE = auto()
    AND = auto()  # logical (or bitwise on ints)
    OR = auto()
    XOR = auto()

    # *** ternary ALU ***
    WHERE = auto()  # cond ? a : b

    # *** reductions ***
    REDUCE_AXIS = auto()  # tensor graph: arg = (ADD | MUL | MAX | MIN, axes); keeps the axes
    REDUCE = auto()  # kernel IR: src = (value, *ranges), arg = ADD | MUL | MAX | MIN

    # *** memory and kernels ***
    LOAD = auto()  # kernel IR: src = (buffer, index) or (buffer, index, valid)
    STORE = auto()  # kernel IR: src = (buffer, index, value)
    GATHER = auto()  # tensor graph: src = (x, index), arg = axis or (axis, fault kind); a
    # load at a loaded index
    SCATTER = auto()  # tensor graph: src = (x, index, value), arg = (axis, accumulate, fault
    # kind[, dim]); x with value[j] stored (or added) at j's place, its axis coordinate index[j]
    SCAN = auto()  # tensor graph: src = (x,), arg = axis; the running sum along axis
    CHECK = auto()  # kernel IR: src = (value, bad), arg = the fault; value, the fault noted if bad
    CONTIGUOUS = auto()  # tensor graph: realize here (a kernel boundary)
    EXTERN = auto()  # tensor graph: a host function we do not compile; arg = ExternCall
    SINK = auto()  # the root that holds a graph's outputs
# --8<-- [end:ops]


class GroupOp:
    Unary = frozenset({Ops.NEG, Ops.EXP, Ops.LOG, Ops.SQRT, Ops.SIN, Ops.COS, Ops.TANH, Ops.ERF,
                       Ops.ABS, Ops.SIGN, Ops.NOT, Ops.FLOOR, Ops.CEIL, Ops.ROUND, Ops.RECIP,
                       Ops.CAST})
    Binary = frozenset({Ops.ADD, Ops.SUB, Ops.MUL, Ops.DIV, Ops.IDIV, Ops.MOD, Ops.POW, Ops.MAX,
                        Ops.MIN, Ops.CMPLT, Ops.CMPLE, Ops.CMPEQ, Ops.CMPNE, Ops.AND, Ops.OR,
                        Ops.XOR})
    Ternary = frozenset({Ops.WHERE})
    ALU = Unary | Binary | Ternary
    Movement = frozenset({Ops.RESHAPE, Ops.PERMUTE, Ops.EXPAND, Ops.PAD, Ops.SHRINK, Ops.FLIP,
                          Ops.AS_STRIDED})
    Comparison = frozenset({Ops.CMPLT, Ops.CMPLE, Ops.CMPEQ, Ops.CMPNE})
    Commutative = frozenset({Ops.ADD, Ops.MUL, Ops.MAX, Ops.MIN, Ops.CMPEQ, Ops.CMPNE, Ops.AND,
                             Ops.OR, Ops.XOR})
    Reduce = frozenset({Ops.ADD, Ops.MUL, Ops.MAX, Ops.MIN})  # the ops a reduction may use


# --8<-- [start:index_faults]
# What an index out of range means to the user, by the kind capture gave the GATHER or SCATTER:
# eager ch2's exception and torch's words. A CHECK's arg is ("index", axis, size, kind, dim):
# dim, if given, is the dim the user indexed (x[i, j] checks j through a gather along 0).
# x[i] wraps a negative i before the kernel sees it: its message shows the i the user wrote.
OUT_OF_BOUNDS = "index {value} is out of bounds for dimension {axis} with size {size}"
INDEX_FAULTS = {
    "gather": (IndexValueError, OUT_OF_BOUNDS),  # gather, scatter_add: torch's RuntimeError
    "index": (OutOfRangeError, OUT_OF_BOUNDS),  # x[i], x[i] = v, index_select: IndexError
    "embedding": (OutOfRangeError, "index out of range in self"),
    "target": (OutOfRangeError, "Target {value} is out of bounds."),  # nll_loss, cross_entropy
}


def index_fault(fault: tuple, value: int) -> Exception:
    """The exception eager mode raises for an index `value` that a CHECK with arg `fault`
    found out of range [0, size)."""
    _, axis, size, kind, *dim = fault
    error, words = INDEX_FAULTS[kind]
    if kind == "index" and value < 0:
        value -= size  # the kernel saw i + size
    message = words.format(value=value, axis=dim[0] if dim else axis, size=size)
    return error(message, value) if error is IndexValueError else error(message)
# --8<-- [end:index_faults]


index_dtype = int64  # loop variables and offsets
_nodes: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


# --8<-- [start:uop]
@dataclass(frozen=True, eq=False)
class UOp:
    """One node: an operation, its result type, its operands and a constant argument.

    Nodes are hash-consed: `UOp(...)` returns the existing node when one with the same fields
    exists, so graphs share common subexpressions for free and compare with `is`.
    """

    op: Ops
    dtype: DType | None
    src: tuple[UOp, ...] = ()
    arg: Any = None

    def __new__(cls, op, dtype, src=(), arg=None):
        # -0.0 == 0.0 in Python, but not to a float kernel: the sign is part of the key
        sign = math.copysign(1, arg) if isinstance(arg, float) else None
        key = (op, dtype, tuple(src), arg, sign)
        if (node := _nodes.get(key)) is None:
            node = object.__new__(cls)
            _nodes[key] = node
        return node

    def __post_init__(self):
        object.__setattr__(self, "src", tuple(self.src))
# --8<-- [end:uop]

    # *** building nodes ***

    @staticmethod
    def const(value, dtype: DType = index_dtype) -> UOp:
        if dtype.category == 0:
            value = bool(value)
        elif dtype.category == 1:
            value = int(value)
        else:
            value = float(value)
        return UOp(Ops.CONST, dtype, (), value)

    def alu(self, op: Ops, *others: UOp | int) -> UOp:
        srcs = (self,) + tuple(o if isinstance(o, UOp) else UOp.const(o, self.dtype)
                               for o in others)
        out = bool_ if op in GroupOp.Comparison else srcs[-1].dtype
        return UOp(op, out, srcs)

    def cast(self, dtype: DType) -> UOp:
        return self if self.dtype is dtype else UOp(Ops.CAST, dtype, (self,))

    # tensor-graph builders: movement ops that do nothing are not recorded
    def reshape(self, shape) -> UOp:
        shape = tuple(shape)
        if self.shape == shape:
            return self
        if self.op is Ops.RESHAPE:  # a reshape of a reshape is one reshape
            return self.src[0].reshape(shape)
        return UOp(Ops.RESHAPE, self.dtype, (self,), shape)

    def expand(self, shape) -> UOp:
        shape = tuple(shape)
        x = self.reshape((1,) * (len(shape) - len(self.shape)) + self.shape)
        return x if x.shape == shape else UOp(Ops.EXPAND, self.dtype, (x,), shape)

    def permute(self, order) -> UOp:
        order = tuple(order)
        return self if order == tuple(range(len(order))) else \
            UOp(Ops.PERMUTE, self.dtype, (self,), order)

    def movement(self, op: Ops, arg) -> UOp:
        return UOp(op, self.dtype, (self,), arg)

    def r(self, op: Ops, axes) -> UOp:
        """Reduce over axes with op (ADD, MUL, MAX, MIN); the axes stay, with size 1."""
        return UOp(Ops.REDUCE_AXIS, self.dtype, (self,), (op, tuple(axes)))

    @staticmethod
    def full(value, dtype: DType, shape) -> UOp:
        """A constant tensor: a scalar CONST broadcast by movement ops (no memory)."""
        return UOp.const(value, dtype).reshape((1,) * len(shape)).expand(shape)

    # index arithmetic reads like Python: r * 4 + 1
    def __add__(self, x): return self.alu(Ops.ADD, x)
    def __radd__(self, x): return UOp.const(x, self.dtype).alu(Ops.ADD, self)
    def __mul__(self, x): return self.alu(Ops.MUL, x)
    def __rmul__(self, x): return UOp.const(x, self.dtype).alu(Ops.MUL, self)
    def __sub__(self, x): return self.alu(Ops.SUB, x)
    def __floordiv__(self, x): return self.alu(Ops.IDIV, x)
    def __mod__(self, x): return self.alu(Ops.MOD, x)
    def lt(self, x): return self.alu(Ops.CMPLT, x)
    def ge(self, x): return self.alu(Ops.CMPLT, x).alu(Ops.NOT)

    # *** what a node knows about itself ***

    @cached_property
    def shape(self) -> tuple[int, ...]:
        """The tensor-graph shape (kernel-IR nodes are scalars: ())."""
        op, arg = self.op, self.arg
        if op is Ops.BUFFER:
            return arg[1]
        if op in (Ops.RESHAPE, Ops.EXPAND):
            return arg
        if op is Ops.EXTERN:
            return arg.shape
        if op is Ops.AS_STRIDED:
            return arg[0]
        if op is Ops.GATHER:
            return self.src[1].shape
        if not self.src or op in (Ops.LOAD, Ops.STORE, Ops.REDUCE):
            return ()
        inp = self.src[0].shape
        if op is Ops.PERMUTE:
            return tuple(inp[i] for i in arg)
        if op is Ops.PAD:
            return tuple(n + b + a for n, (b, a) in zip(inp, arg))
        if op is Ops.SHRINK:
            return tuple(e - s for s, e in arg)
        if op is Ops.REDUCE_AXIS:
            return tuple(1 if i in arg[1] else n for i, n in enumerate(inp))
        if op is Ops.WHERE:
            return self.src[1].shape
        return inp

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @cached_property
    def vmin(self) -> int | float:
        return _bounds(self)[0]

    @cached_property
    def vmax(self) -> int | float:
        return _bounds(self)[1]

    def toposort(self) -> list[UOp]:
        """Every node reachable from self, operands before users (iterative: graphs get deep)."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((s, False) for s in reversed(node.src) if s not in seen)
        return order

    def __repr__(self) -> str:
        return render_graph(self)


def _bounds(u: UOp) -> tuple:
    """Interval [vmin, vmax] of an integer kernel-IR node; (-inf, inf) where unknown."""
    if u.op is Ops.CONST:
        return u.arg, u.arg
    if u.op is Ops.RANGE:
        return 0, u.arg[1] - 1
    if u.op in GroupOp.Comparison or u.dtype is bool_:
        return False, True
    if u.op is Ops.CHECK:
        return u.src[0].vmin, u.src[0].vmax
    if len(u.src) != 2:
        return -math.inf, math.inf
    (a0, a1), (b0, b1) = (u.src[0].vmin, u.src[0].vmax), (u.src[1].vmin, u.src[1].vmax)
    if u.op is Ops.ADD:
        return a0 + b0, a1 + b1
    if u.op is Ops.SUB:
        return a0 - b1, a1 - b0
    if u.op is Ops.MUL and all(math.isfinite(v) for v in (a0, a1, b0, b1)):
        products = (a0 * b0, a0 * b1, a1 * b0, a1 * b1)
        return min(products), max(products)
    if u.op is Ops.IDIV and b0 == b1 and b0 > 0 and a0 >= 0:
        return a0 // b0, a1 // b0 if math.isfinite(a1) else math.inf
    if u.op is Ops.MOD and b0 == b1 and b0 > 0:
        return (a0, a1) if 0 <= a0 and a1 < b0 else (0, b0 - 1)
    return -math.inf, math.inf


# --8<-- [start:render_graph]
def render_graph(root: UOp) -> str:
    """One line per node, operands first: `%3 = ADD float32 (%1, %2)`; for DEBUG printing."""
    names: dict[UOp, str] = {}
    lines = []
    for node in root.toposort():
        names[node] = f"%{len(names)}"
        srcs = ", ".join(names[s] for s in node.src)
        arg = "" if node.arg is None else f" {node.arg}"
        dtype = node.dtype.name if node.dtype is not None else "-"
        shape = f" {list(node.shape)}" if node.shape else ""
        lines.append(f"{names[node]:>5} = {node.op.name} {dtype}{shape} ({srcs}){arg}")
    return "\n".join(lines)
# --8<-- [end:render_graph]
