"""Lowering the kernels whose stores do not follow their loops: indexed stores and scans.

A SCATTER (x with value[j] stored, or added, at the place index[j] names: index_put,
scatter_add, a write through a strided view) writes out[.., index[j], ..], an element the loop
over j does not know in advance. It is two loop nests: out = x (parallel and vectorized, as any
copy), then the loops over j, sequential: two j may name one element, and in order the last
store wins and the additions happen in j's order, as eager's np.add.at and torch's CPU kernels
do them. A SCAN (cumsum) carries its running sum from one element to the next: per row, a loop
over the axis whose accumulator is stored at every step, a sequential loop with O(n) work
(the masked sum capture uses for short rows costs O(n^2)).

Both reuse the Indexer (their operands are fused expressions, like any kernel's), the symbolic
rules and the linearizer. Capture puts each under a CONTIGUOUS, so each is a kernel of its own.
Shapes: SCATTER's x and out (X..), index and value (J..), with len(J) == len(X); SCAN's x and
out have one shape.
"""

from __future__ import annotations

from ch2_lego.dtype import bool_
from ch4_pt2.lower import (
    PARALLEL_WORK,
    Indexer,
    Kernel,
    KernelIR,
    deep_recursion,
    faults_of,
    linearize,
    simplify_pass,
)
from ch4_pt2.ops import Ops, UOp, index_dtype
from ch4_pt2.view import View

TRUE = UOp.const(True, bool_)


def is_indexed(root: UOp) -> bool:
    """Whether a kernel's root is one of ours (capture puts each under a CONTIGUOUS)."""
    return root.op is Ops.CONTIGUOUS and root.src[0].op in (Ops.SCATTER, Ops.SCAN)


def lower_indexed(root: UOp, inputs: list[UOp], name: str = "kernel") -> Kernel:
    """The Kernel of CONTIGUOUS(SCATTER(..)) or CONTIGUOUS(SCAN(..)), reading `inputs`."""
    node = root.src[0]
    out = UOp(Ops.DEFINE_GLOBAL, root.dtype, (), 0)
    ix = Indexer(inputs)
    with deep_recursion():
        parts = scatter_parts(node, out, ix) if node.op is Ops.SCATTER else \
            [scan_part(node, out, ix)]
        params = [out, *ix.params.values()]
        lines, faults = [], []
        for store, loops, how in parts:
            store = simplify_pass(KernelIR(store, loops, params)).store
            if how == "in order":
                lines += in_order(linearize(store, loops, 0), store, loops)
            elif how == "scan":
                lines += scan_lines(store, loops, node.numel)
            else:
                lines += linearize(store, loops, node.numel)
            faults += [f for f in faults_of(store) if f not in faults]
    return Kernel(name, lines, params, parts[0][1], faults)


# --8<-- [start:scatter]
def scatter_parts(node: UOp, out: UOp, ix: Indexer) -> list[tuple[UOp, list[UOp], str]]:
    """(store, loops, how) of out = x, then out[.., index[j], ..] (+)= value[j] in order.

    An index out of [0, size) is noted by a CHECK (the plan raises the error of the op that
    capture named) and writes nothing: the store then puts back the element already there."""
    x, index, value = node.src
    axis, accumulate, kind, *dim = node.arg
    dense = View.contiguous(x.shape)
    loops = [ix.new_range(n, "gidx") for n in x.shape]
    copy = UOp(Ops.STORE, None, (out, dense.to_index(tuple(loops))[0],
                                 ix.scalar(x, tuple(loops), TRUE).cast(node.dtype)))
    parts = [(copy, ranges(loops), "plain")]
    if index.numel == 0:
        return parts
    j = tuple(ix.new_range(n, "sidx") for n in index.shape)
    at = ix.scalar(index, j, TRUE).cast(index_dtype)
    size = x.shape[axis]
    inside = at.ge(0).alu(Ops.AND, at.lt(size))
    at = UOp(Ops.CHECK, index_dtype, (at, inside.alu(Ops.NOT)),
             ("index", axis, size, kind, *dim))
    at = UOp(Ops.WHERE, index_dtype, (inside, at, UOp.const(0)))
    dest = dense.to_index(tuple(at if d == axis else r for d, r in enumerate(j)))[0]
    old = UOp(Ops.LOAD, node.dtype, (out, dest))
    new = ix.scalar(value, j, TRUE).cast(node.dtype)
    if accumulate:
        new = UOp(Ops.ADD, node.dtype, (old, new))
    store = UOp(Ops.STORE, None, (out, dest, UOp(Ops.WHERE, node.dtype, (inside, new, old))))
    return parts + [(store, ranges(j), "in order")]
# --8<-- [end:scatter]


# --8<-- [start:scan]
def scan_part(node: UOp, out: UOp, ix: Indexer) -> tuple[UOp, list[UOp], str]:
    """out[.., k, ..] = acc + x[.., k, ..], then acc += x[.., k, ..]: the store sits inside the
    accumulator's loop, before its update, and adds what the update adds (the same rounding).
    acc has x's dtype (float64 for a float32 cumsum), each store rounds to the node's.
    The rows (every other axis) are the outer loops, then k; scan_lines places the statements.
    Returns (store, the row loops, "scan")."""
    (x,), axis = node.src, node.arg
    idx = [ix.new_range(n, "gidx") for n in node.shape[:axis]]
    k = ix.new_range(node.shape[axis], "sidx")
    idx += [k] + [ix.new_range(n, "gidx") for n in node.shape[axis + 1:]]
    value = ix.scalar(x, tuple(idx), TRUE)  # in x's dtype, the accumulator's
    if k.op is Ops.RANGE:
        acc = UOp(Ops.REDUCE, x.dtype, (value, k), Ops.ADD)
        value = UOp(Ops.ADD, x.dtype, (acc, value))
    offset = View.contiguous(node.shape).to_index(tuple(idx))[0]
    rows = [r for r in idx if r is not k]
    return UOp(Ops.STORE, None, (out, offset, value.cast(node.dtype))), ranges(rows), "scan"


def scan_lines(store: UOp, rows: list[UOp], work: int) -> list[tuple]:
    """The loops of a scan: rows (the first parallel if the work is large), acc = 0, then the
    loop over k with every statement inside it (no hoisting: the linearizer would take the
    add to acc out of k's loop when x does not move with k), the store, the update. x holds
    no reduction (capture makes one a kernel of its own), so the scan's is the only one."""
    acc = next((u for u in store.toposort() if u.op is Ops.REDUCE), None)
    attrs = [frozenset({"parallel"}) if i == 0 and work >= PARALLEL_WORK else frozenset()
             for i in range(len(rows))]
    lines = [("loop", r, a) for r, a in zip(rows, attrs)]
    body = [("stmt", u) for u in store.toposort()
            if u.op not in (Ops.CONST, Ops.RANGE, Ops.DEFINE_GLOBAL, Ops.REDUCE)]
    if acc is None:  # a scan over one element: a copy
        lines += body
    else:
        k = acc.src[1]
        lines += [("acc", acc), ("loop", k, frozenset())] + body + [("update", acc), ("end", k)]
    return lines + [("end", r) for r in reversed(rows)]
# --8<-- [end:scan]


def ranges(idx) -> list[UOp]:
    return [r for r in idx if r.op is Ops.RANGE]


def in_order(lines: list[tuple], store: UOp, loops: list[UOp]) -> list[tuple]:
    """A scatter's lines, made sequential: no simd loops, and its read-modify-write of out at
    the end of the innermost loop. The linearizer hoists a statement to the outermost loop its
    operands allow; a load of out at an index that does not move with a loop (every j names
    one element) would be hoisted out of it and miss the stores made in it."""
    reads_out, moved = set(), []
    for u in store.toposort():
        if (u.op is Ops.LOAD and u.src[0].op is Ops.DEFINE_GLOBAL and u.src[0].arg == 0) or \
                any(s in reads_out for s in u.src):
            reads_out.add(u)
    kept = []
    for line in lines:
        if line[0] == "stmt" and line[1] in reads_out:
            moved.append(line)
        elif line[0] == "loop":
            kept.append(("loop", line[1], line[2] - {"simd", "parallel"}))
        else:
            kept.append(line)
    end = next((i for i, line in enumerate(kept) if loops and line == ("end", loops[-1])),
               len(kept))
    return kept[:end] + moved + kept[end:]
