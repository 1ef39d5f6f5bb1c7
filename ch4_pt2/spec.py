"""Verification as a rule set: a graph is well formed when some rule returns True for each node.

`tensor_spec` checks the tensor graph (capture's output): operands of an ALU op share a shape,
comparisons give bool, movement and reduce arguments fit their input. `kernel_spec` checks the
scalar kernel IR after each lowering pass: loads and stores address a parameter (or an
accumulator) with an integer index, ranges have a positive size, a kernel with several
outputs is a SINK of STOREs. `verify` raises SpecError
naming the first node no rule accepts. The tests run both after every pass.
"""

from __future__ import annotations

from ch2_lego.dtype import bool_
from ch4_pt2.ops import GroupOp, Ops, UOp
from ch4_pt2.rewrite import PatternMatcher, Rule, UPat


class SpecError(ValueError):
    """A node that breaks the IR's rules."""


def is_index(u: UOp) -> bool:
    return u.dtype is not None and u.dtype.category == 1


def alu_ok(u: UOp) -> bool:
    shapes = {s.shape for s in u.src}
    if len(shapes) != 1:
        return False
    if u.op in GroupOp.Comparison:
        return u.dtype is bool_
    if u.op is Ops.WHERE:
        return u.src[0].dtype is bool_ and u.dtype is u.src[1].dtype is u.src[2].dtype
    return u.op is Ops.CAST or all(s.dtype is u.dtype for s in u.src)


def reduce_axis_ok(u: UOp) -> bool:
    op, axes = u.arg
    return op in GroupOp.Reduce and all(0 <= a < len(u.src[0].shape) for a in axes)


def movement_ok(u: UOp) -> bool:
    inp, arg = u.src[0].shape, u.arg
    if u.op is Ops.RESHAPE:
        return u.src[0].numel == u.numel
    if u.op is Ops.PERMUTE:
        return sorted(arg) == list(range(len(inp)))
    if u.op is Ops.EXPAND:
        return len(arg) == len(inp) and all(a == b or a == 1 for a, b in zip(inp, arg))
    if u.op is Ops.SHRINK:
        return all(0 <= s <= e <= n for (s, e), n in zip(arg, inp))
    if u.op is Ops.PAD:
        return all(b >= 0 and a >= 0 for b, a in arg)
    if u.op is Ops.AS_STRIDED:
        return len(inp) == 1
    return all(0 <= a < len(inp) for a in arg)  # FLIP


# --8<-- [start:spec]
tensor_spec = PatternMatcher([
    Rule("leaf", UPat({Ops.BUFFER, Ops.CONST}), lambda: True),
    Rule("alu", UPat(GroupOp.ALU, name="u"), alu_ok),
    Rule("movement", UPat(GroupOp.Movement, name="u"), movement_ok),
    Rule("reduce", UPat(Ops.REDUCE_AXIS, name="u"), reduce_axis_ok),
    Rule("gather", UPat(Ops.GATHER, src=(UPat.var("x"), UPat.var("i"))),
         lambda x, i: is_index(i) and len(x.shape) == len(i.shape)),
    Rule("realize points", UPat({Ops.CONTIGUOUS, Ops.EXTERN, Ops.SINK}), lambda: True),
])

kernel_spec = PatternMatcher([
    Rule("leaf", UPat({Ops.CONST, Ops.DEFINE_GLOBAL}), lambda: True),
    Rule("range", UPat(Ops.RANGE, name="r"), lambda r: r.arg[1] > 0 and is_index(r)),
    Rule("load", UPat(Ops.LOAD, name="u"), lambda u: u.src[0].op in (
        Ops.DEFINE_GLOBAL, Ops.REDUCE) and is_index(u.src[1]) and (
        len(u.src) == 2 or u.src[2].dtype is bool_)),
    Rule("store", UPat(Ops.STORE, src=(UPat(Ops.DEFINE_GLOBAL), UPat.var("i"),
                                       UPat.var("v"))), lambda i, v: is_index(i)),
    Rule("outputs", UPat(Ops.SINK, name="u"), lambda u: all(s.op is Ops.STORE for s in u.src)),
    Rule("reduce", UPat(Ops.REDUCE, name="u"),
         lambda u: all(r.op is Ops.RANGE for r in u.src[1:]) and len(u.src) > 1),
    Rule("check", UPat(Ops.CHECK, src=(UPat.var("i"), UPat.var("bad"))),
         lambda i, bad: is_index(i) and bad.dtype is bool_),
    Rule("alu", UPat(GroupOp.ALU, name="u"), lambda u: u.op is Ops.CAST or u.op in
         GroupOp.Comparison and u.dtype is bool_ or u.op not in GroupOp.Comparison),
])
# --8<-- [end:spec]


def verify(root: UOp, spec: PatternMatcher) -> None:
    """Raise SpecError for the first node (operands first) that no rule of spec accepts."""
    for node in root.toposort():
        if spec.rewrite(node) is not True:
            raise SpecError(f"{node.op.name} {node.dtype} {node.shape} with arg {node.arg} "
                            f"breaks the IR's rules")
