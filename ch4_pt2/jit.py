"""compile(fn): trace a function per input signature, then replay its compiled plan.

The first call with a new signature (the shapes, dtypes and requires_grad of its tensor
arguments, the values of the others, and grad mode) runs fn on lazy tensors and builds one Plan
for its outputs and for every in-place write it made (an optimizer step, a KV-cache update).
Later calls with that signature bind the new arguments' data to the plan's inputs and run its
kernels: no Python work per op, no scheduling, no compiling. Guards: a new signature traces
again; a storage the plan reads must still be there with its size, else it retraces (a storage it
writes that nobody holds any more is left unwritten).
A Python number that fn reads from outside its arguments (Adam's step count, a learning rate
a schedule changes) is a constant of the trace, so a plan is replayed only once a second trace
of the signature gave the same graph, constants included; a function whose graph changes from
call to call (Adam's bias corrections) is traced every call: right, but not faster; with
Adam(capturable=True) the step count is a tensor, the graph the same at every step, and the
step is replayed.
Left out: Python side effects happen at trace time only (p.grad after a replayed step is the
traced one); a number that changes after two equal traces (a step-wise learning-rate schedule)
and an `.item()` for control flow are not re-checked on replay; a plan that reads a value
realized in the middle of its trace is not kept (those calls run lazily every time).
"""

from __future__ import annotations

import collections
import functools
import warnings
import weakref

import numpy as np

from ch2_lego.grad_mode import is_grad_enabled
from ch2_lego.tensor import Tensor
from ch4_pt2 import plan as plans
from ch4_pt2.capture import LazyBuffer
from ch4_pt2.lazy_storage import (
    ALL,
    EPOCH,
    FAILED,
    PENDING,
    STORAGE_OF,
    TRACING,
    base_buffer,
    realize_storages,
    reshape,
)
from ch4_pt2.ops import GroupOp, Ops, UOp


def signature(args) -> tuple:
    out = [is_grad_enabled()]
    for a in args:
        if isinstance(a, Tensor):
            out.append(("tensor", tuple(a.shape), a.dtype.name, a.requires_grad))
        else:
            out.append(("value", a if isinstance(a, (int, float, str, bool, type(None)))
                        else id(a)))
    return tuple(out)


def host_array(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy(), order="C")  # ascontiguousarray would make 0-d 1-d


class Traced:
    """One signature's plan: which BUFFERs are the arguments, which are state, what it writes."""

    def __init__(self, fn, args):
        # every live storage realized: what the trace reads of them is state, bound at replay
        realize_storages([s for s in list(ALL) if not s.realized and s not in FAILED])
        first_produced, start = len(plans.produced), EPOCH[0]
        self.placeholders: list = []
        lazy_args = []
        for a in args:
            if isinstance(a, Tensor):
                buf = LazyBuffer.from_numpy(host_array(a))
                self.placeholders.append(base_buffer(buf.storage.uop))
                t = Tensor._wrap(buf)
                t.requires_grad = a.requires_grad
                lazy_args.append(t)
            else:
                lazy_args.append(a)
        TRACING[0] = True
        try:
            result = fn(*lazy_args)
        finally:
            TRACING[0] = False
        self.single = isinstance(result, Tensor)
        outputs = [result] if self.single else list(result) if isinstance(
            result, (tuple, list)) else [] if result is None else None
        if outputs is None or not all(isinstance(t, Tensor) for t in outputs):
            raise TypeError(f"compile({getattr(fn, '__name__', fn)}): fn must return a Tensor, a "
                            f"tuple or list of Tensors, or None; it returned "
                            f"{type(result).__name__}")
        self.outputs = [(t._buf.view, t.dtype) for t in outputs]
        writes = [s for s in list(PENDING) if s.epoch < start]  # state written in place
        targets = [t._buf.storage for t in outputs] + writes
        values = [s.uop.src[0] if s.uop.op is Ops.RESHAPE else s.uop for s in targets]
        self.plan = plans.Plan(values) if values else None
        self.writes = [weakref.ref(s) for s in writes]
        self.result = result
        mid_trace = set(plans.produced[first_produced:])
        reads = self.plan.reads if self.plan else []
        self.keep = not any(n.arg[0] in mid_trace for n in reads)
        self.state = [(n, STORAGE_OF.get(n.arg[0])) for n in reads
                      if n not in self.placeholders]
        self.fingerprint = (fingerprint(values), tuple(self.outputs), len(writes))
        self.bound: dict = {}  # state node -> (buffer id, its array) bound at the last replay
        self.checked = False  # replayed only once a second trace gave the same fingerprint
        self.changes = 0  # how many traces in a row differed from the one before
        # run it once: the trace's own result (the storages become realized buffers)
        arrays = self.plan.run() if self.plan else []
        for storage, array in zip(targets, arrays):
            storage.set(reshape(plans.buffer_node(array, array_dtype(storage)), (len(storage),)),
                        write=False)
        # realized now, outputs included: an output written in place within the trace (a
        # fused loss divides itself by its weight) is no pending write of the next trace
        PENDING.difference_update(targets)

    def replay(self, args) -> object | None:
        """Run the plan on new arguments; None if a guard fails (the caller retraces)."""
        bind = {}
        tensors = [a for a in args if isinstance(a, Tensor)]
        for node, t in zip(self.placeholders, tensors):
            bind[node] = host_array(t).reshape(node.shape)
        for node, storage in self.state:
            if storage is None:
                continue  # a constant made at trace time (a mask, an iota)
            if not storage.realized:
                storage_realize(storage)
            base = base_buffer(storage.uop)
            if base.numel != node.numel:
                return None
            uid, last = base.arg[0], self.bound.get(node)
            if last is None or last[0] != uid:  # the same array object as last call if the
                last = self.bound[node] = (uid, plans.BUFFER_DATA[uid].reshape(node.shape))
            bind[node] = last[1]  # state did not change (weights): the plan keeps its pointer
        writes = [w() for w in self.writes]  # None: a storage nobody holds now, left unwritten
        arrays = self.plan.run(bind)
        outs = []
        for (view, dtype), array in zip(self.outputs, arrays):
            buf = LazyBuffer.from_uop(plans.buffer_node(array, dtype))
            outs.append(Tensor._wrap(LazyBuffer(buf.storage, view, dtype)))
        for storage, array in zip(writes, arrays[len(self.outputs):]):
            if storage is None:
                continue
            storage.set(reshape(plans.buffer_node(array, array_dtype(storage)), (len(storage),)),
                        write=False)
            storage.version += 1
        return outs[0] if self.single else type(self.result)(outs) if isinstance(
            self.result, (tuple, list)) else outs


def fingerprint(roots: list[UOp]) -> tuple:
    """What two traces of a signature must share to trust the first one's plan: the Python
    numbers fn read (constants, and the arguments of movement ops: a KV cache's position) and
    how many nodes of each computing op the graph has.

    Sorted, not in graph order, and blind to buffers and reshapes: the order of in-place writes
    and the shape a realized buffer was stored in may differ between equal traces.
    """
    numbers, ops = [], collections.Counter()
    for u in UOp(Ops.SINK, None, tuple(roots)).toposort():
        if u.op is Ops.CONST:
            numbers.append((u.dtype.name, repr(u.arg)))  # repr: -0.0 and nan, as kernels see
        elif u.op in GroupOp.Movement and u.op is not Ops.RESHAPE:
            numbers.append((u.op.name, repr(u.arg)))
        elif u.op is Ops.EXTERN:
            ops[u.arg.name] += 1
        elif u.op not in GroupOp.Movement and u.op is not Ops.BUFFER:
            ops[u.op.name] += 1
    return tuple(sorted(numbers)), tuple(sorted(ops.items()))


def array_dtype(storage):
    return storage.uop.dtype


def storage_realize(storage) -> None:
    realize_storages([storage])


# --8<-- [start:compile]
def compile(fn):
    """fn traced per input signature into a Plan, replayed once two traces agree."""
    if not callable(fn):
        raise TypeError(f"compile() expects a function, got {type(fn).__name__}")
    traces: dict[tuple, Traced] = {}

    @functools.wraps(fn)
    def compiled(*args):
        key = signature(args)
        previous = traces.get(key)
        if previous is not None and previous.checked:
            out = previous.replay(args)
            if out is not None:
                return out
        traced = Traced(fn, args)
        compiled.trace_count += 1
        if traced.keep:
            same = previous is not None and previous.fingerprint == traced.fingerprint
            traced.checked = same
            traced.changes = 0 if same or previous is None else previous.changes + 1
            if traced.changes == 3:
                warnings.warn(f"compile({fn.__name__}): its graph changed on 3 calls in a row "
                              "with the same signature (a Python number it reads, such as "
                              "Adam's step count, is part of the graph); it is traced on "
                              "every call, which is right but not faster", RuntimeWarning,
                              stacklevel=2)
            traces[key] = traced
        return traced.result

    compiled.traces = traces  # tests read how many signatures were traced
    compiled.trace_count = 0  # ... and how many times fn was traced in all
    return compiled
# --8<-- [end:compile]
