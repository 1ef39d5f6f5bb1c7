"""Symbolic rules: constant folding, algebraic identities and index arithmetic, as tables.

Input IR: a kernel's scalar IR after lowering (ALU ops over LOADs, CONSTs and RANGEs).
Output IR: the same values with fewer nodes. Invariants afterwards: no ALU node has only CONST
operands; no ADD has a CONST 0 operand; no MUL a CONST 1; no IDIV or MOD whose bounds make it
the identity (`r % 8` with r < 8). Float rules are only those exact in IEEE arithmetic.
"""

from __future__ import annotations

import math

import numpy as np

from ch2_lego.dtype import bool_
from ch4_pt2.ops import GroupOp, Ops, UOp
from ch4_pt2.rewrite import PatternMatcher, Rule, UPat

# *** 1. evaluating an op on Python values (constant folding; the tests' reference too) ***

_erf = np.vectorize(math.erf, otypes=[np.float64])
python_alu = {
    Ops.NEG: np.negative, Ops.EXP: np.exp, Ops.LOG: np.log, Ops.SQRT: np.sqrt, Ops.SIN: np.sin,
    Ops.COS: np.cos, Ops.TANH: np.tanh, Ops.ERF: _erf, Ops.ABS: np.abs, Ops.SIGN: np.sign,
    Ops.NOT: np.logical_not, Ops.FLOOR: np.floor, Ops.CEIL: np.ceil, Ops.ROUND: np.round,
    Ops.RECIP: np.reciprocal, Ops.ADD: np.add, Ops.SUB: np.subtract, Ops.MUL: np.multiply,
    Ops.DIV: np.true_divide, Ops.IDIV: np.floor_divide, Ops.MOD: np.mod, Ops.POW: np.power,
    Ops.MAX: np.maximum, Ops.MIN: np.minimum, Ops.CMPLT: np.less, Ops.CMPLE: np.less_equal,
    Ops.CMPEQ: np.equal, Ops.CMPNE: np.not_equal, Ops.AND: np.bitwise_and,
    Ops.OR: np.bitwise_or, Ops.XOR: np.bitwise_xor, Ops.WHERE: np.where,
}


def exec_alu(op: Ops, dtype, *values):
    """op applied to numpy values, computed in (and rounded to) the operands' dtype."""
    if op is Ops.CAST:
        return np.asarray(values[0]).astype(dtype.np)
    with np.errstate(all="ignore"):
        return np.asarray(python_alu[op](*values)).astype(dtype.np)


def fold(u: UOp):
    """ALU op of constants -> one constant (integer division by zero is left to the kernel)."""
    if u.op in (Ops.IDIV, Ops.MOD) and u.src[1].arg == 0:
        return None
    srcs = [np.asarray(s.arg, dtype=s.dtype.np) for s in u.src]
    return UOp.const(exec_alu(u.op, u.dtype, *srcs).item(), u.dtype)


# *** 2. the rules ***

x, y, c, c2 = UPat.var("x"), UPat.var("y"), UPat.cvar("c"), UPat.cvar("c2")
INTS = {"int32", "int64"}


def is_int(u: UOp) -> bool:
    return u.dtype is not None and u.dtype.name in INTS


def mod_drops(x: UOp, c: UOp):
    """x % c -> x when 0 <= x < c."""
    return x if c.arg > 0 and x.vmin >= 0 and x.vmax < c.arg else None


def div_drops(x: UOp, c: UOp):
    """x // c -> 0 when 0 <= x < c."""
    return UOp.const(0, x.dtype) if c.arg > 0 and x.vmin >= 0 and x.vmax < c.arg else None


def div_of_sum(x: UOp, c: UOp, y: UOp, c2: UOp):
    """(x*c + y) // c2 -> x*(c/c2) + y // c2 when c2 divides c (floor division, c2 > 0)."""
    # EXERCISE 4.1: for integer x and c2 > 0 dividing c, return x * (c // c2) + y // c2; else None
    if not is_int(x) or c2.arg <= 0 or c.arg % c2.arg:
        return None
    return x * (c.arg // c2.arg) + y // c2.arg
    # END EXERCISE


def mod_of_sum(x: UOp, c: UOp, y: UOp, c2: UOp):
    """(x*c + y) % c2 -> y % c2 when c2 divides c."""
    if not is_int(x) or c2.arg <= 0 or c.arg % c2.arg:
        return None
    return y % c2.arg


def cmp_by_bounds(x: UOp, c: UOp):
    """x < c is decided when x's bounds lie all below c, or all at or above it."""
    if x.vmax < c.arg:
        return UOp.const(True, bool_)
    if x.vmin >= c.arg:
        return UOp.const(False, bool_)
    return None


# --8<-- [start:symbolic]
symbolic = PatternMatcher([
    # constant folding: f(c1, c2) -> c
    Rule("fold", UPat(GroupOp.ALU, src=None, name="u"),
         lambda u: fold(u) if all(s.op is Ops.CONST for s in u.src) else None),
    # identities
    Rule("x+0", UPat(Ops.ADD, src=(x, UPat(Ops.CONST, arg=0))), lambda x: x),
    Rule("x-0", UPat(Ops.SUB, src=(x, UPat(Ops.CONST, arg=0))), lambda x: x),
    Rule("x*1", UPat(Ops.MUL, src=(x, UPat(Ops.CONST, arg=1))), lambda x: x),
    Rule("x/1", UPat({Ops.DIV, Ops.IDIV}, src=(x, UPat(Ops.CONST, arg=1))), lambda x: x),
    Rule("x*0", UPat(Ops.MUL, src=(x, UPat(Ops.CONST, arg=0, name="c"))),  # not for floats:
         lambda x, c: c if is_int(x) else None),  # inf*0 is nan
    Rule("--x", UPat(Ops.NEG, src=(UPat(Ops.NEG, src=(x,)),)), lambda x: x),
    Rule("!!x", UPat(Ops.NOT, src=(UPat(Ops.NOT, src=(x,)),)), lambda x: x),
    Rule("x-x", UPat(Ops.SUB, src=(x, x)), lambda x: UOp.const(0, x.dtype) if is_int(x) else None),
    Rule("where(c,x,x)", UPat(Ops.WHERE, src=(UPat.var("cond"), x, x)), lambda cond, x: x),
    Rule("where(const)", UPat(Ops.WHERE, src=(c, x, y)), lambda c, x, y: x if c.arg else y),
    # re-associate constants: (x + c) + c2 -> x + (c + c2), likewise for *
    Rule("(x+c)+c2", UPat(Ops.ADD, src=(UPat(Ops.ADD, src=(x, c)), c2)),
         lambda x, c, c2: x + (c.arg + c2.arg) if is_int(x) else None),
    Rule("(x*c)*c2", UPat(Ops.MUL, src=(UPat(Ops.MUL, src=(x, c)), c2)),
         lambda x, c, c2: x * (c.arg * c2.arg) if is_int(x) else None),
    # index arithmetic: bounds decide % and //, and strides divide through sums
    Rule("x%c->x", UPat(Ops.MOD, src=(x, c)), mod_drops),
    Rule("x//c->0", UPat(Ops.IDIV, src=(x, c)), div_drops),
    Rule("(x*c)//c2", UPat(Ops.IDIV, src=(UPat(Ops.MUL, src=(x, c)), c2)),
         lambda x, c, c2: div_of_sum(x, c, UOp.const(0, x.dtype), c2)),
    Rule("(x*c)%c2", UPat(Ops.MOD, src=(UPat(Ops.MUL, src=(x, c)), c2)),
         lambda x, c, c2: mod_of_sum(x, c, UOp.const(0, x.dtype), c2)),
    Rule("(x*c+y)//c2", UPat(Ops.IDIV, src=(UPat(Ops.ADD, src=(UPat(Ops.MUL, src=(x, c)), y)),
                                            c2)), div_of_sum),
    Rule("(x*c+y)%c2", UPat(Ops.MOD, src=(UPat(Ops.ADD, src=(UPat(Ops.MUL, src=(x, c)), y)),
                                          c2)), mod_of_sum),
    Rule("(x//c)//c2", UPat(Ops.IDIV, src=(UPat(Ops.IDIV, src=(x, c)), c2)),
         lambda x, c, c2: x // (c.arg * c2.arg) if x.vmin >= 0 and c.arg > 0 < c2.arg else None),
    Rule("x<c by bounds", UPat(Ops.CMPLT, src=(x, c)), cmp_by_bounds),
    # (x//c)*c + x%c -> x, and with both terms scaled by k
    Rule("(x//c)*c+x%c", UPat(Ops.ADD, src=(UPat(Ops.MUL, src=(UPat(Ops.IDIV, src=(x, c)), c)),
                                           UPat(Ops.MOD, src=(x, c)))), lambda x, c: x),
    Rule("(x//c)*ck+(x%c)*k", UPat(Ops.ADD, src=(
        UPat(Ops.MUL, src=(UPat(Ops.IDIV, src=(x, c)), UPat.cvar("ck"))),
        UPat(Ops.MUL, src=(UPat(Ops.MOD, src=(x, c)), UPat.cvar("k"))))),
        lambda x, c, ck, k: x * k.arg if ck.arg == c.arg * k.arg else None),
])
# --8<-- [end:symbolic]
