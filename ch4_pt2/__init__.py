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


def lazy_buffers(caller: str, tensors) -> list:
    """The lazy buffers under tensors; a named error for anything else."""
    from ch2_lego import Tensor
    from ch2_lego.errors import DeviceError

    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{caller}(): argument {i} must be a Tensor, not {type(t).__name__}")
        if not isinstance(t._buf, capture.LazyBuffer):
            raise DeviceError(f"{caller}(): argument {i} is on device {t.device}, not on "
                              f"'lazy'; move it with .to('lazy') first")
    return [t._buf for t in tensors]


def realize(*tensors):
    """Compute lazy tensors now (with every pending in-place write); returns them."""
    capture.realize_storages([b.storage for b in lazy_buffers("realize", tensors)])
    return tensors[0] if len(tensors) == 1 else tensors


def explain_tensors(*tensors) -> str:
    """The graph, the kernels (and why each is one) and their C source, for lazy tensors."""
    return explain([b.uop for b in lazy_buffers("explain_tensors", tensors)])


__all__ = ["compile", "realize", "explain", "explain_tensors", "stats"]
