"""Chapter 4, graph mode: a fusion compiler for the tensor programs of chapter 2.

In the order a graph goes through them: ops.py (Ops, GroupOp, the hash-consed UOp), rewrite.py
(UPat, Rule, PatternMatcher, graph_rewrite), rules_symbolic.py and spec.py (rule sets),
capture.py (the lazy buffer under ch2's Tensor: device "lazy") and jit.py (compile(fn)),
view.py (movement ops as index arithmetic), schedule.py (kernels and memory), lower.py (loops and
schedule transformations), gemm.py (a kernel's matmul as a BLAS call), renderer/ (C with
OpenMP), plan.py (plans run on ch3's C runtime).
Imports ch2 and ch3 only. Part 2 adds CUDA and WGSL renderers, a torch.compile backend, schedule
search and an inference engine.
"""

from ch4_pt2 import capture  # noqa: F401  (registers the device "lazy" with ch2)
from ch4_pt2.jit import compile
from ch4_pt2.plan import explain, stats


def realize(*tensors):
    """Compute lazy tensors now (with every pending in-place write); returns them."""
    capture.realize_storages([t._buf.storage for t in tensors])
    return tensors[0] if len(tensors) == 1 else tensors


def explain_tensors(*tensors) -> str:
    """The graph, the kernels (and why each is one) and their C source, for lazy tensors."""
    return explain([t._buf.uop for t in tensors])


__all__ = ["compile", "realize", "explain", "explain_tensors", "stats"]
