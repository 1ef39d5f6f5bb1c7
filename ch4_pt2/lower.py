"""Lowering: one kernel of the tensor graph -> scalar IR -> loop nests -> a linear program.

Input: a kernel's root (a tensor-graph node) and the realized nodes it reads (its parameters).
Output: a `Kernel` whose `lines` are loops, accumulators and statements in order, for a renderer.
Stages: 1. index the graph (movement ops become index arithmetic, reductions become REDUCE over
new RANGEs), 2. simplify with the symbolic rules, 3. schedule transformations by a default
heuristic (split + reorder + unroll + vectorize a matmul-like reduction; parallelize the outer
loop), 4. linearize: each statement goes into the outermost loop that all its inputs allow,
after an elementwise loop that tests its index against constants (a cat) is split into pieces.
A matmul the BLAS can compute (gemm.py) becomes a load of the output it wrote before the loops.
Shapes: idx is a tuple of index UOps, one per dim of the node being lowered.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field

from ch2_lego.dtype import bool_
from ch4_pt2.gemm import MATMULS, GemmCall, gemm_call, matrix
from ch4_pt2.ops import GroupOp, Ops, UOp, index_dtype
from ch4_pt2.rewrite import PatternMatcher, Rule, UPat, graph_rewrite
from ch4_pt2.rules_symbolic import symbolic
from ch4_pt2.view import View, apply_movement, movement_index

PARALLEL_WORK = 1 << 20  # below about this many multiply-adds, waking threads costs more
# (on a quiet machine the break-even is lower; on a shared one, spinning threads cost far more)
UPCAST_WIDTHS = (64, 32, 16, 8, 4)  # output lanes: 64 floats are 4 independent FMA chains
SPLIT_WIDTHS = (16, 8, 4)  # reduction lanes: each output then adds up its lanes, so fewer
STAGE = 64  # longest reduction whose values are staged in a local row (see linearize)
SPLIT_ROWS = 32  # shortest row reduction that gets lanes when no output loop vectorizes it

# *** 1. the tensor graph of one kernel -> scalar IR ***


class Indexer:
    """Lowers tensor-graph nodes at a given index; `params` are the buffers the kernel reads."""

    def __init__(self, inputs: list[UOp], out: UOp | None = None, first: int = 1):
        self.params = {node: UOp(Ops.DEFINE_GLOBAL, node.dtype, (), k + first)
                       for k, node in enumerate(inputs)}
        self.memo: dict = {}
        self.views: dict[UOp, tuple | None] = {}
        self.nranges = 0
        self.out = out  # the output parameter, if a matmul may be a library call into it
        self.gemm: GemmCall | None = None

    def library_matmul(self, node: UOp, idx: tuple[UOp, ...], valid: UOp) -> UOp | None:
        """A matmul computed by the BLAS into the output buffer: the element idx is then a
        load of it. None if this one cannot be (gemm.py says when)."""
        if self.out is None or self.gemm is not None or node not in MATMULS or \
                node.dtype is not self.out.dtype or valid is not UOp.const(True, bool_):
            return None
        a, b = MATMULS[node]
        fa, fb = self.folded_view(a), self.folded_view(b)
        if not fa or not fb:
            return None
        *_, m, k = a.shape
        call = gemm_call(node.dtype, node.shape[:-1], k,
                         matrix(self.params[fa[0]].arg, fa[1], m, k),
                         matrix(self.params[fb[0]].arg, fb[1], k, b.shape[-1]))
        if call is None:
            return None
        self.gemm = call
        offset, _ = View.contiguous(node.shape).to_index(idx)
        return UOp(Ops.LOAD, node.dtype, (self.out, offset))

    def new_range(self, size: int, prefix: str) -> UOp:
        if size == 1:
            return UOp.const(0)
        self.nranges += 1
        return UOp(Ops.RANGE, index_dtype, (), (f"{prefix}{self.nranges - 1}", size))

    def folded_view(self, node: UOp):
        """(base, View) if node is a chain of movement ops over a parameter a View can hold."""
        if node not in self.views:
            chain, base = [], node
            while base.op in GroupOp.Movement:
                chain.append(base)
                base = base.src[0]
            view = View.contiguous(base.shape) if base in self.params else None
            for op in reversed(chain):
                view = view and apply_movement(view, op)
            self.views[node] = (base, view) if view else None
        return self.views[node]

    def load(self, base: UOp, view: View, idx, valid: UOp) -> UOp:
        offset, in_view = view.to_index(idx)
        return UOp(Ops.LOAD, base.dtype, (self.params[base], offset, valid.alu(Ops.AND, in_view)))

    # --8<-- [start:scalar]
    def scalar(self, node: UOp, idx: tuple[UOp, ...], valid: UOp) -> UOp:
        """The scalar IR of node's element idx (loads gated by `valid`, for PAD's zeros)."""
        key = (node, idx, valid)
        if key in self.memo:
            return self.memo[key]
        if node in self.params:
            out = self.load(node, View.contiguous(node.shape), idx, valid)
        elif node.op is Ops.CONST:
            out = UOp.const(node.arg, node.dtype)
        elif node.op in GroupOp.Movement and (folded := self.folded_view(node)):
            out = self.load(*folded, idx, valid)  # the whole chain is one strided view
        elif node.op in GroupOp.Movement:
            src_idx, inside = movement_index(node, idx)
            if inside is None:
                out = self.scalar(node.src[0], src_idx, valid)
            else:  # PAD: zero outside the input
                value = self.scalar(node.src[0], src_idx, valid.alu(Ops.AND, inside))
                out = UOp(Ops.WHERE, node.dtype, (inside, value, UOp.const(0, node.dtype)))
        elif node.op is Ops.REDUCE_AXIS and (mm := self.library_matmul(node, idx, valid)):
            out = mm
        elif node.op is Ops.REDUCE_AXIS:
            op, axes = node.arg
            ranges = {a: self.new_range(node.src[0].shape[a], "ridx") for a in axes}
            src_idx = tuple(ranges.get(a, i) for a, i in enumerate(idx))
            value = self.scalar(node.src[0], src_idx, valid)
            loops = tuple(r for r in ranges.values() if r.op is Ops.RANGE)
            out = UOp(Ops.REDUCE, node.dtype, (value, *loops), op) if loops else value
        elif node.op is Ops.GATHER:  # x[..., index[idx], ...] along axis: a load at a load
            at = self.scalar(node.src[1], idx, valid).cast(index_dtype)
            axis, *kind = node.arg if isinstance(node.arg, tuple) else (node.arg,)
            size = node.src[0].shape[axis]
            # an index out of range is noted (the plan raises after the kernel) and reads
            # nothing: the load is gated, so no memory outside x is touched
            inside = at.ge(0).alu(Ops.AND, at.lt(size))
            bad = valid.alu(Ops.AND, inside.alu(Ops.NOT))
            at = UOp(Ops.CHECK, index_dtype, (at, bad), ("index", axis, size, *kind))
            src_idx = tuple(at if a == axis else i for a, i in enumerate(idx))
            out = self.scalar(node.src[0], src_idx, valid.alu(Ops.AND, inside))
            if at not in out.toposort():  # x is a constant, so nothing reads at the index:
                # a select on the checked index keeps the check (eager raises there too); its
                # other side is the index itself, so no rule folds where(c, 0, 0) away
                out = UOp(Ops.WHERE, node.dtype, (at.lt(size), out, at.cast(node.dtype)))
        elif node.op is Ops.CONTIGUOUS:
            out = self.scalar(node.src[0], idx, valid)
        elif node.op in GroupOp.ALU:
            out = UOp(node.op, node.dtype, tuple(self.scalar(s, idx, valid) for s in node.src))
        else:
            raise NotImplementedError(f"lowering: no rule for {node.op.name} inside a kernel "
                                      f"(shape {node.shape}, arg {node.arg})")
        self.memo[key] = out
        return out
    # --8<-- [end:scalar]


# loads whose gate is always true lose it; the index rules run with these
pm_lower = PatternMatcher([
    Rule("load(always)", UPat(Ops.LOAD, src=(UPat.var("b"), UPat.var("i"),
                                              UPat(Ops.CONST, arg=True))),
         lambda b, i: UOp(Ops.LOAD, b.dtype, (b, i))),
    Rule("True&x", UPat(Ops.AND, dtype=bool_, src=(UPat(Ops.CONST, arg=True), UPat.var("x"))),
         lambda x: x),
    Rule("check(never)", UPat(Ops.CHECK, src=(UPat.var("x"), UPat(Ops.CONST, arg=False))),
         lambda x: x),
])


# *** 2. schedule transformations ***


def substitute(root: UOp, mapping: dict[UOp, UOp]) -> UOp:
    """root with every node in mapping replaced (its operands are not visited)."""
    done = dict(mapping)
    for node in root.toposort():
        if node not in done:
            srcs = tuple(done.get(s, s) for s in node.src)
            done[node] = node if srcs == node.src else UOp(node.op, node.dtype, srcs, node.arg)
    return done[root]


def ranges_in(u: UOp) -> set[UOp]:
    return {n for n in u.toposort() if n.op is Ops.RANGE}


def stride_along(index: UOp, r: UOp) -> int | None:
    """How far index moves when range r steps by one (None: not affine in r, or unknown)."""
    # a loaded value that does not move with r (a gathered row's start) only shifts the index
    fixed = {n: UOp.const(0) for n in index.toposort() if n.op in (Ops.LOAD, Ops.CHECK) and
             r not in ranges_in(n)}
    index = substitute(index, fixed) if fixed else index
    others = [n for n in ranges_in(index) if n is not r]
    steps = set()
    for base in (0, 1, 2):  # three points: an affine index moves the same at each
        env = {n: (base * 7 + k) % n.arg[1] for k, n in enumerate(others)}
        at = [eval_index(index, env | {r: v}) for v in (base, base + 1)]
        if None in at:
            return None
        steps.add(at[1] - at[0])
    return steps.pop() if len(steps) == 1 else None


def eval_index(u: UOp, env: dict) -> int | None:
    """An integer index expression's value (None if it reads memory, as a gather's does)."""
    if u.op is Ops.CONST:
        return u.arg
    if u.op is Ops.RANGE:
        return env[u]
    ops = {Ops.ADD: lambda a, b: a + b, Ops.SUB: lambda a, b: a - b,
           Ops.MUL: lambda a, b: a * b, Ops.IDIV: lambda a, b: a // b,
           Ops.MOD: lambda a, b: a % b}
    if u.op not in ops:
        return None
    a, b = (eval_index(s, env) for s in u.src)
    return None if a is None or b is None else ops[u.op](a, b)


def dense_along(value: UOp, r: UOp) -> bool:
    """Every load in value reads consecutive (stride 1) or the same (stride 0) elements as r
    steps: lanes over r then vectorize."""
    loads = [n for n in value.toposort() if n.op is Ops.LOAD and n.src[0].op is not Ops.REDUCE]
    return all(stride_along(n.src[1], r) in (0, 1) for n in loads)


# --8<-- [start:upcast]
def upcast(store: UOp, loops: list[UOp]) -> tuple[UOp, list[UOp]]:
    """Give a matmul-like reduction W accumulator lanes along the axis its loads are dense in.

    Output lanes: out[m, n] = sum_k a[m, k] * b[k, n] with b row-major: split n into (no, w),
    k outside, acc[w] += a[m, k] * b[k, no*W + w] (b read in a row). Reduction lanes: with
    b = W.T of a Linear, b[k, n] = W[n, k] is dense in k instead: split k into (ko, w),
    acc[w] += a[m, ko*W + w] * W[n, ko*W + w], then add up the W lanes.
    """
    if not loops:
        return split_rows(store), loops
    r = loops[-1]
    reduces = [u for u in store.toposort() if u.op is Ops.REDUCE and r in ranges_in(u.src[0])]
    nested = any(n.op is Ops.REDUCE for red in reduces for n in red.src[0].toposort())
    if not reduces or nested:  # NOTE: a reduce inside a reduce stays scalar
        return split_rows(store), loops
    if not all(dense_along(red.src[0], r) for red in reduces) and \
            all(dense_along(red.src[0], red.src[-1]) for red in reduces):
        return split_reductions(store, reduces), loops
    width = next((w for w in UPCAST_WIDTHS if r.arg[1] % w == 0), None)
    if width is None:
        return store, loops
    name, size = r.arg
    outer = UOp(Ops.RANGE, index_dtype, (), (name + "o", size // width)) if size > width \
        else UOp.const(0)
    lane = UOp(Ops.RANGE, index_dtype, (), (name + "w", width))
    mapping = {r: outer * width + lane}
    for k, red in enumerate(reduces):
        inner_lane = UOp(Ops.RANGE, index_dtype, (), (f"{name}w{k}", width))
        value = substitute(red.src[0], {r: outer * width + inner_lane})
        acc = UOp(Ops.REDUCE, red.dtype, (value, *red.src[1:], inner_lane), (red.arg, width))
        mapping[red] = UOp(Ops.LOAD, red.dtype, (acc, lane))
    store = graph_rewrite(substitute(store, mapping), symbolic + pm_lower)
    return store, loops[:-1] + [r for r in (outer, lane) if r.op is Ops.RANGE]


# --8<-- [start:split_rows]
def split_rows(store: UOp) -> UOp:
    """Every reduction over one long dense loop (a layer norm's row of 64) gets reduction
    lanes, one at a time (a split one may sit inside the next: a variance holds its mean).
    In order, its additions would be one chain of dependent adds, one per element."""
    done: set[UOp] = set()
    while True:
        red = next((u for u in store.toposort() if u.op is Ops.REDUCE and u not in done and
                    len(u.src) == 2 and not isinstance(u.arg, tuple) and
                    u.src[1].arg[1] >= SPLIT_ROWS and dense_along(u.src[0], u.src[1])), None)
        if red is None:
            return store
        done.add(red)
        store = split_reductions(store, [red])
# --8<-- [end:split_rows]


def split_reductions(store: UOp, reduces: list[UOp]) -> UOp:
    """Each reduction's innermost loop k -> (ko, w): W partial results, then one over the W."""
    mapping = {}
    for red in reduces:
        k = red.src[-1]
        name, size = k.arg
        width = next((w for w in SPLIT_WIDTHS if size % w == 0 and size > w), None)
        if width is None:
            continue
        outer = UOp(Ops.RANGE, index_dtype, (), (name + "o", size // width))
        lane = UOp(Ops.RANGE, index_dtype, (), (name + "w", width))
        value = substitute(red.src[0], {k: outer * width + lane})
        acc = UOp(Ops.REDUCE, red.dtype, (value, *red.src[1:-1], outer, lane), (red.arg, width))
        total = UOp(Ops.RANGE, index_dtype, (), (name + "l", width))
        mapping[red] = UOp(Ops.REDUCE, red.dtype, (UOp(Ops.LOAD, red.dtype, (acc, total)),
                                                   total), red.arg)
    return graph_rewrite(substitute(store, mapping), symbolic + pm_lower)
# --8<-- [end:upcast]


# *** 3. linearize: loops and statements in order ***


@dataclass
class Kernel:
    """A lowered kernel. lines: ("loop", range, attrs) ... ("end", range), ("acc", reduce),
    ("update", reduce), ("stmt", node); a staged reduction: ("stage", reduce) (a value into the
    local row) in its loop, then ("update", reduce, "staged") (the row added up in order);
    params: the DEFINE_GLOBALs, the outputs first."""

    name: str
    lines: list[tuple]
    params: list[UOp]
    loops: list[UOp] = field(default_factory=list)
    faults: list[tuple] = field(default_factory=list)  # what a run may note: see faults_of
    gemm: GemmCall | None = None  # a library matmul into data0, run before the lines
    outputs: int = 1  # params[:outputs] are written


def linearize(store: UOp, loops: list[UOp], work: int) -> list[tuple]:
    """Place every statement in the outermost loop its inputs allow (loop-invariant hoisting)."""
    nodes = store.toposort()
    deps: dict[UOp, frozenset] = {}
    owner: dict[UOp, tuple[UOp, int]] = {}  # reduce range -> (its REDUCE, position)
    for u in nodes:
        inner = frozenset().union(*(deps[s] for s in u.src))
        if u.op is Ops.RANGE:
            deps[u] = frozenset({u})
        elif u.op is Ops.REDUCE:
            for pos, k in enumerate(u.src[1:]):
                owner[k] = (u, pos)
            deps[u] = inner - set(u.src[1:])
        else:
            deps[u] = inner
    depth_memo: dict[UOp, int] = {}

    def depth(r: UOp) -> int:
        if r not in depth_memo:
            red, pos = owner.get(r, (None, 0))
            depth_memo[r] = loops.index(r) + 1 if red is None else depth_home(red) + pos + 1
        return depth_memo[r]

    def home(u: UOp) -> UOp | None:
        return max(deps[u], key=depth, default=None)

    def depth_home(u: UOp) -> int:
        h = home(u)
        return 0 if h is None else depth(h)

    body: dict[UOp | None, list[UOp]] = {}
    for u in nodes:
        if u.op not in (Ops.CONST, Ops.RANGE, Ops.DEFINE_GLOBAL, Ops.SINK):
            body.setdefault(home(u), []).append(u)
    lines: list[tuple] = []

    def staged(u: UOp) -> bool:
        """A short reduction over one loop whose values cost float arithmetic (a softmax's
        exponentials): the values go to a local row in a vectorized loop first, then are
        added up in order from there. Same additions in the same order, so the same result."""
        inside = body.get(u.src[-1], [])
        return len(u.src) == 2 and not isinstance(u.arg, tuple) and u.src[1].arg[1] <= STAGE \
            and not any(s.op is Ops.REDUCE for s in inside) and any(
                s.op is not Ops.LOAD and s.dtype is not None and s.dtype.category == 2
                for s in inside)

    def emit(scope: UOp | None) -> None:
        for u in body.get(scope, []):
            if u.op is Ops.REDUCE:
                lines.append(("acc", u))
                if staged(u):
                    nest([u.src[1]], ("stage", u))
                    lines.append(("update", u, "staged"))
                else:
                    nest(list(u.src[1:]), ("update", u))
            else:
                lines.append(("stmt", u))

    def nest(ranges: list[UOp], final: tuple | None) -> None:
        for r in ranges:
            lines.append(("loop", r, loop_attrs(r, ranges, final, body.get(r, []))))
            emit(r)
        if final:
            lines.append(final)
        lines.extend(("end", r) for r in reversed(ranges))

    def loop_attrs(r: UOp, chain: list[UOp], final: tuple | None, inside: list[UOp]):
        """The default heuristic: parallel outer loop, vectorized lanes and innermost loops,
        unrolled short reductions.

        A plain reduction loop stays scalar: vectorizing it would reorder its additions."""
        attrs = set()
        if final is None and r is chain[0] and work >= PARALLEL_WORK and r.arg[1] > 1:
            attrs.add("parallel")
        lanes = final is not None and (isinstance(final[1].arg, tuple) or final[0] == "stage")
        if r is chain[-1] and not any(u.op is Ops.REDUCE for u in inside):
            if final is None or lanes:
                attrs.add("simd")
            elif r.arg[1] <= 16:  # a short reduction (adding up lanes): unrolled, order kept
                attrs.add("unroll")
        return frozenset(attrs)

    emit(None)
    nest(loops, None)
    return lines


# *** 4. the pipeline ***


@dataclass
class KernelIR:
    """A kernel between passes: its STORE (the scalar IR; a SINK of STOREs for a kernel with
    several outputs) and its output loops, outer first."""

    store: UOp
    loops: list[UOp]
    params: list[UOp]
    gemm: GemmCall | None = None


def index_pass(root: UOp, inputs: list[UOp], library: bool = True,
               extra: tuple[UOp, ...] = ()) -> KernelIR:
    """Tensor graph -> scalar IR: out[idx] = value(idx) over one RANGE per output dim.

    Each of `extra` (root's shape with trailing axes reduced to 1) is stored too, at idx with
    those axes 0: the linearizer then puts its store outside the loops it does not use."""
    outs = [UOp(Ops.DEFINE_GLOBAL, node.dtype, (), k) for k, node in enumerate((root, *extra))]
    ix = Indexer(inputs, outs[0] if library and not extra else None, len(outs))
    loops = [ix.new_range(n, "gidx") for n in root.shape]
    stores = []
    for out, node in zip(outs, (root, *extra)):
        idx = tuple(r if n > 1 else UOp.const(0) for r, n in zip(loops, node.shape))
        offset, _ = View.contiguous(node.shape).to_index(idx)
        value = ix.scalar(node.src[0] if node.op is Ops.CONTIGUOUS else node, idx,
                          UOp.const(True, bool_))
        stores.append(UOp(Ops.STORE, None, (out, offset, value.cast(node.dtype))))
    store = stores[0] if len(stores) == 1 else UOp(Ops.SINK, None, tuple(stores))
    return KernelIR(store, [r for r in loops if r.op is Ops.RANGE], [*outs, *ix.params.values()],
                    ix.gemm)


def reads_own_output_in_place(store: UOp) -> bool:
    """Whether every load of the output (a library matmul's result) is at the element the
    kernel stores: then the epilogue may run in place over it. Two index expressions are the
    same if they are the same node or the same sum of coefficient x loop variable."""
    out, at = store.src[0], store.src[1]
    want = linear_form(at)
    return all(u.src[1] is at or (want is not None and linear_form(u.src[1]) == want)
               for u in store.toposort() if u.op is Ops.LOAD and u.src[0] is out)


def linear_form(u: UOp) -> dict | None:
    """{RANGE: coefficient, None: constant} of an index built from +, * by constants, loop
    variables and constants: (g0*16 + g1)*256 + g2 and g0*4096 + g1*256 + g2 agree. None for
    anything else (a division, a load)."""
    if u.op is Ops.CONST:
        return {None: u.arg} if u.arg else {}
    if u.op is Ops.RANGE:
        return {u: 1}
    if u.op is Ops.ADD:
        a, b = linear_form(u.src[0]), linear_form(u.src[1])
        if a is None or b is None:
            return None
        total = {k: a.get(k, 0) + b.get(k, 0) for k in a.keys() | b.keys()}
        return {k: v for k, v in total.items() if v}
    if u.op is Ops.MUL:
        for x, c in (u.src, reversed(u.src)):
            if c.op is Ops.CONST and (form := linear_form(x)) is not None:
                return {k: v * c.arg for k, v in form.items() if v * c.arg}
    return None


def simplify_pass(k: KernelIR) -> KernelIR:
    return KernelIR(graph_rewrite(k.store, symbolic + pm_lower), k.loops, k.params, k.gemm)


def upcast_pass(k: KernelIR) -> KernelIR:
    return KernelIR(*upcast(k.store, k.loops), k.params, k.gemm)


# --8<-- [start:passes]
PASSES = [
    ("simplify: constant folding, identities, index arithmetic", simplify_pass),
    ("upcast: split, reorder, unroll and vectorize a reduction's lanes", upcast_pass),
]
# --8<-- [end:passes]


@contextlib.contextmanager
def deep_recursion(limit: int = 20000):
    """Raise Python's recursion limit while a kernel is lowered, and put it back after."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# --8<-- [start:lower]
def lower(root: UOp, inputs: list[UOp], name: str = "kernel", after_pass=None,
          extra: tuple[UOp, ...] = ()) -> Kernel:
    """Lower the kernel computing `root` (and `extra`, reading the realized `inputs`) to a linear
    program.

    `after_pass(name, ir)` sees the IR after indexing and after every pass (DEBUG dumps and the
    spec checks in the tests use it).
    """
    with deep_recursion():  # rewrites recurse on the depth of the expression
        k = index_pass(root, inputs, extra=extra)
        if k.gemm and not reads_own_output_in_place(simplify_pass(k).store):
            k = index_pass(root, inputs, False, extra)  # the matmul as generated loops
        if after_pass:
            after_pass("index: movement ops become index arithmetic", k)
        for pass_name, run_pass in PASSES:
            k = run_pass(k)
            if after_pass:
                after_pass(pass_name, k)
        inner = [r.arg[1] for r in ranges_in(k.store) if r not in k.loops]
        work = max(1, root.numel) * max(inner or [1])  # elements x the longest reduction
        if k.gemm and k.store.src[2].op is Ops.LOAD and k.store.src[2].src[:2] == k.store.src[:2]:
            lines = []  # out = the matmul itself: nothing after the call
        else:
            lines = [line for part in split_at_conditions(k)
                     for line in linearize(part.store, part.loops, work)]
        return Kernel(name, lines, k.params, k.loops, faults_of(k.store), k.gemm,
                      1 + len(extra))
# --8<-- [end:lower]


MAX_PIECES = 64  # loop pieces one kernel may be split into (a cat of many tensors)


# --8<-- [start:split]
def split_at_conditions(k: KernelIR) -> list[KernelIR]:
    """An elementwise kernel over one loop r whose value tests r against constants (a cat:
    where(r < 8, where(r < 5, a[r], b[r-5]), c[r-8])) becomes one loop per piece between the
    cut points, in each of which every test is decided and folds away: straight loads, no
    selects. Other kernels come back as they are."""
    if len(k.loops) != 1 or k.gemm or any(u.op is Ops.REDUCE for u in k.store.toposort()):
        return [k]
    r = k.loops[0]
    cuts = set()
    for u in k.store.toposort():
        if u.op is Ops.CMPLT and u.src[1].op is Ops.CONST and \
                (form := linear_form(u.src[0])) is not None and set(form) <= {r, None} \
                and form.get(r) == 1:
            cuts.add(u.src[1].arg - form.get(None, 0))
    bounds = sorted({0, r.arg[1]} | {c for c in cuts if 0 < c < r.arg[1]})
    if len(bounds) == 2 or len(bounds) > MAX_PIECES + 1:
        return [k]
    parts = []
    for j, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        piece = UOp(Ops.RANGE, index_dtype, (), (f"{r.arg[0]}p{j}", hi - lo)) if hi - lo > 1 \
            else UOp.const(0)
        store = graph_rewrite(substitute(k.store, {r: piece + lo}), symbolic + pm_lower)
        parts.append(KernelIR(store, [piece] if piece.op is Ops.RANGE else [], k.params))
    return parts
# --8<-- [end:split]


def faults_of(store: UOp) -> list[tuple]:
    """The faults a kernel may note at run time, which C would leave undefined and eager mode
    raises: ("index", axis, size) per CHECK of a gather; ("div",) if an integer // or % may
    divide by zero. The kernel gets a fault word (its last parameter) if any."""
    faults = []
    for u in store.toposort():
        if u.op is Ops.CHECK and u.arg not in faults:
            faults.append(u.arg)
        elif is_python_division(u) and ("div",) not in faults:
            faults.append(("div",))
    return faults


def is_python_division(u: UOp) -> bool:
    """An integer // or % that needs Python's rounding and a zero check; not index arithmetic
    (both sides known >= 0 and > 0), which C's / and % do as they are."""
    return u.op in (Ops.IDIV, Ops.MOD) and u.dtype.category == 1 and not (
        u.src[0].vmin >= 0 and u.src[1].vmin > 0)
