"""Running a graph: schedule it, lower and render each kernel, build it on ch3's C device, call it.

A `Plan` is the compiled form of one graph: its kernels (loaded Programs), the memory plan, and
which BUFFER nodes it reads. `Plan.run(bind)` replays it on new input arrays, with no Python
work per kernel beyond the call, which is what `compile(fn)` keeps per input signature.
Inspection: DEBUG=1 prints a line per realize (its kernel count), DEBUG=3 the graph and the
kernels, DEBUG=4 each kernel's C source; `explain(outputs)` returns all of it as text.
"""

from __future__ import annotations

import ctypes
import itertools
import sys
import weakref
from dataclasses import dataclass

import numpy as np

from ch2_lego.dtype import DType
from ch2_lego.errors import IndexValueError, IntegerDivisionError, OutOfRangeError
from ch4_pt2.gemm import BLAS
from ch4_pt2.lower import Kernel, lower
from ch4_pt2.lower_indexed import is_indexed, lower_indexed
from ch4_pt2.ops import Ops, UOp, index_fault, render_graph
from ch4_pt2.renderer.c import ClangRenderer
from ch4_pt2.rewrite import DEBUG
from ch4_pt2.schedule import ScheduleItem, create_schedule, memory_plan

# *** 1. realized memory: BUFFER nodes and their arrays ***

BUFFER_DATA: dict[int, np.ndarray] = {}  # buffer id -> a contiguous array of the node's dtype
_ids = itertools.count()
stats = {"kernels": 0, "realizes": 0, "last_kernels": 0}  # tests read the per-realize count
produced: list[int] = []  # ids of the buffers realize() made, in order (compile's guards read it)


def buffer_node(array: np.ndarray, dtype: DType) -> UOp:
    """A new BUFFER node holding array (copied to a contiguous array of dtype if need be)."""
    array = np.asarray(array, dtype=dtype.np, order="C")  # 0-d stays 0-d
    uid = next(_ids)
    BUFFER_DATA[uid] = array
    node = UOp(Ops.BUFFER, dtype, (), (uid, tuple(array.shape)))
    weakref.finalize(node, BUFFER_DATA.pop, uid, None)  # the array lives as long as the node
    return node


@dataclass(frozen=True, eq=False)
class ExternCall:
    """An op we do not compile (argsort, scatter, ...): fn(*input arrays) -> an array."""

    name: str
    fn: object
    shape: tuple[int, ...]

    def __repr__(self) -> str:
        return f"extern {self.name}"


# *** 2. a compiled plan ***


def kernel_name(kernel: Kernel, root: UOp) -> str:
    """E_ (elementwise) or r_ (has a reduction) and the loop sizes, as tinygrad names them."""
    has_reduce = any(line[0] == "acc" for line in kernel.lines)
    sizes = "_".join(str(line[1].arg[1]) for line in kernel.lines if line[0] == "loop")
    if kernel.gemm:  # G_: a library matmul (batch, M, N, K), then its epilogue's loops
        g = kernel.gemm
        return "_".join(["G", *map(str, (*g.batch, g.m, g.n, g.k))] + ([sizes] if sizes else []))
    return f"{'r' if has_reduce else 'E'}_{sizes or '1'}"


def device():
    from ch3_brrr.runtime.device import get_device
    return get_device("c")


SPARE_REFS = 3  # references to a spare output that nobody else holds: the list, the loop, ours


class Plan:
    """The schedule of `outputs`, lowered, rendered and built once; `run` replays it."""

    renderer = ClangRenderer()

    def __init__(self, outputs: list[UOp]):
        self.outputs = list(outputs)
        self.items = create_schedule(self.outputs)
        self.slots = memory_plan(self.items, set(self.outputs))
        self.slot_bytes: dict[int, int] = {}
        for node, slot in self.slots.items():
            nbytes = node.numel * node.dtype.itemsize
            self.slot_bytes[slot] = max(self.slot_bytes.get(slot, 0), nbytes)
        self.sources: list[str | None] = []
        self.programs = []
        self.faults: list[list[tuple]] = []  # per kernel: what its fault word's codes mean
        self.blas: list[tuple] = []  # per kernel: the BLAS function its matmul calls, if any
        for item in self.items:
            if item.root.op is Ops.EXTERN or item.root.numel == 0:
                self.sources.append(None)
                self.programs.append(None)
                self.faults.append([])
                self.blas.append(())
                continue
            if is_indexed(item.root):  # stores at loaded indices, scans: loops of their own
                kernel = lower_indexed(item.root, list(item.inputs))
            else:
                kernel = lower(item.root, list(item.inputs), extra=item.extra)
            kernel.name = kernel_name(kernel, item.root)
            src = self.renderer.render(kernel)
            self.sources.append(src)
            self.programs.append(device().build(kernel.name, src))
            self.faults.append(kernel.faults)
            self.blas.append((ctypes.c_void_p(BLAS["s" if kernel.gemm.dtype.name == "float32"
                                                   else "d"]),) if kernel.gemm else ())
        self.fault = np.zeros(2, np.int64)  # the fault word the checking kernels share
        self.fault_ptr = ctypes.c_void_p(self.fault.ctypes.data)
        self.reads = [n for item in self.items for n in item.inputs if n.op is Ops.BUFFER]
        self.scratch: dict[int, np.ndarray] | None = None
        self.fixed: dict[UOp, ctypes.c_void_p] = {}  # scratch nodes' addresses, made once
        self.bound: dict[UOp, tuple] = {}  # bound node -> (its array at the last run, address)
        self.spare: dict[int, list[np.ndarray]] = {}  # output slot -> memory of earlier runs
        self.calls: tuple | None = None  # (the bound nodes, prepare()'s calls) of the last run

    @property
    def kernel_count(self) -> int:
        return sum(p is not None for p in self.programs)

    def output_memory(self, slot: int) -> np.ndarray:
        """Memory for an output: an earlier run's that nobody holds any more (a training step's
        new weights replace the old ones, which die one step later), else fresh memory, whose
        pages cost a page fault each when first written."""
        spare = self.spare.setdefault(slot, [])
        for raw in spare:
            if sys.getrefcount(raw) <= SPARE_REFS:
                return raw
        raw = np.empty(self.slot_bytes[slot], np.uint8)
        if len(spare) < 3:
            spare.append(raw)
        return raw

    def prepare(self, pointer, bound) -> list:
        """Per kernel, what a run calls: (C function, its argument list, [(position, node)] of
        the arguments that change between runs), so that a replay only fills those in."""
        calls = []
        for item, program, faults, blas in zip(self.items, self.programs, self.faults,
                                               self.blas):
            extra = ((self.fault_ptr,) if faults else ()) + blas
            if program is None:
                calls.append(None)
            elif hasattr(program, "fn"):
                nodes = item.outputs + item.inputs
                args = [pointer(n) for n in nodes] + list(extra)
                calls.append((program.fn, args, [(k, n) for k, n in enumerate(nodes)
                                                 if n in bound or n not in self.fixed]))
            else:
                calls.append((program, ((self.fault,) if faults else ()) + blas))
        return calls

    def run(self, bind: dict[UOp, np.ndarray] | None = None) -> list[np.ndarray]:
        """Run every kernel; `bind` gives BUFFER nodes new arrays. Returns the outputs' arrays.

        Scratch memory (slots of intermediates) is allocated once per plan and reused by every
        run; the outputs get fresh memory each run, since the caller keeps them.
        """
        bind = bind or {}
        if self.scratch is None:
            kept = {self.slots[o] for o in self.outputs if o in self.slots}
            self.scratch = {slot: np.empty(n, np.uint8) for slot, n in self.slot_bytes.items()
                            if slot not in kept}
        memory = dict(self.scratch)
        for o in self.outputs:
            if o in self.slots and self.slots[o] not in memory:
                memory[self.slots[o]] = self.output_memory(self.slots[o])

        def array(node: UOp) -> np.ndarray:
            if node.op is Ops.BUFFER:
                return bind[node] if node in bind else BUFFER_DATA[node.arg[0]]
            raw = memory[self.slots[node]][:node.numel * node.dtype.itemsize]
            return raw.view(node.dtype.np).reshape(node.shape)

        pointers: dict[UOp, ctypes.c_void_p] = {}

        def pointer(node: UOp) -> ctypes.c_void_p:
            """A kernel argument: scratch addresses and unbound buffers are fixed, so made once
            per plan; a bound array, once per array object."""
            if node in bind:
                last = self.bound.get(node)
                if last is None or last[0] is not bind[node]:
                    last = self.bound[node] = (bind[node],
                                               ctypes.c_void_p(bind[node].ctypes.data))
                return last[1]
            if node in self.fixed:
                return self.fixed[node]
            if node not in pointers:
                pointers[node] = ctypes.c_void_p(array(node).ctypes.data)
                if node.op is Ops.BUFFER or self.slots[node] in self.scratch:
                    self.fixed[node] = pointers[node]
            return pointers[node]

        if self.calls is None or self.calls[0] != bind.keys():
            self.calls = (set(bind), self.prepare(pointer, bind))
        for item, call, faults in zip(self.items, self.calls[1], self.faults):
            if item.root.op is Ops.EXTERN:
                result = item.root.arg.fn(*(array(x) for x in item.inputs))
                array(item.root)[...] = np.asarray(result).reshape(item.root.shape)
            elif call is not None and isinstance(call[1], list):  # a C function: raw pointers
                fn, args, changing = call
                for k, node in changing:  # bound arrays and outputs; the rest stays
                    args[k] = pointer(node)
                fn(*args)
            elif call is not None:
                call[0](*(array(o) for o in item.outputs), *(array(x) for x in item.inputs),
                        *call[1])
            if faults and self.fault[0]:
                raise_fault(self.fault, faults)
        stats["kernels"] += self.kernel_count
        stats["realizes"] += 1
        stats["last_kernels"] = self.kernel_count
        if DEBUG >= 1:
            print(f"realize: {len(self.outputs)} outputs, {self.kernel_count} kernels")
        return [array(o) for o in self.outputs]


def raise_fault(fault: np.ndarray, faults: list[tuple]) -> None:
    """Raise eager mode's error for the fault a kernel noted (and clear the word for next time).

    NOTE: x[i] wraps a negative i before the kernel sees it, so its message shows i + size.
    """
    code, value = int(fault[0]), int(fault[1])
    fault[:] = 0
    if code == -1:
        raise IntegerDivisionError("ZeroDivisionError")
    if len(faults[code - 1]) > 3:  # capture said which op it was: eager's error for it
        raise index_fault(faults[code - 1], value)
    _, axis, size = faults[code - 1]
    raise KernelIndexError(f"index {value} is out of bounds for dimension {axis} with size "
                           f"{size}", value)


class KernelIndexError(IndexValueError, OutOfRangeError):
    """An index out of range, seen by a kernel. Eager ch2 raises IndexValueError (a
    RuntimeError) for gather and OutOfRangeError (an IndexError) for x[i]; a fused kernel no
    longer knows which op its load came from, so this is both."""


# *** 3. entry points ***


def realize(outputs: list[UOp]) -> list[UOp]:
    """Compute outputs; returns a BUFFER node for each (its data in BUFFER_DATA)."""
    todo = [o for o in outputs if o.op is not Ops.BUFFER]
    if not todo:
        return list(outputs)
    plan = Plan(todo)
    if DEBUG >= 3:
        print(explain_plan(plan, source=DEBUG >= 4))
    arrays = dict(zip(todo, plan.run()))
    out = [o if o.op is Ops.BUFFER else buffer_node(arrays[o], o.dtype) for o in outputs]
    produced.extend(o.arg[0] for o in out)
    return out


def explain_plan(plan: Plan, source: bool = True) -> str:
    """The graph, the kernels (with why each is a kernel) and their C source, as text."""
    text = ["graph:", render_graph(UOp(Ops.SINK, None, tuple(plan.outputs))), "kernels:"]
    for k, (item, src) in enumerate(zip(plan.items, plan.sources)):
        more = f" and {len(item.extra)} more outputs" if item.extra else ""
        inside = f", {len(item.members)} realized nodes inside" if item.members else ""
        text.append(f"  kernel {k}: {list(item.root.shape)} {item.root.dtype.name}{more} "
                    f"<- {len(item.inputs)} inputs ({item.reason}{inside})")
        if source and src is not None:  # the kernel function, without the shared prelude
            text.append(src[src.rindex("\nvoid ") + 1:])
    return "\n".join(text)


def explain(outputs: list[UOp]) -> str:
    """The graph, kernels and C source of the tensor-graph nodes `outputs` (explain_tensors
    takes lazy tensors)."""
    for i, o in enumerate(outputs):
        if not isinstance(o, UOp):
            raise TypeError(f"explain(): outputs[{i}] must be a UOp, not {type(o).__name__} "
                            "(for tensors, use ch4_pt2.explain_tensors)")
    return explain_plan(Plan(outputs))


def schedule_of(outputs: list[UOp]) -> list[ScheduleItem]:
    return create_schedule(outputs)



