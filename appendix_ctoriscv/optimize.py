"""The -O1 pipeline: into SSA, the passes until nothing changes, out of SSA.

Each pass is a function `pass(fn) -> bool` (did it change anything) in a module of its own;
this file only orders them. `trace` receives the IR after each step, for `--dump-passes`.
"""

from __future__ import annotations

from appendix_ctoriscv.cfg import simplify_cfg
from appendix_ctoriscv.copyprop import propagate_copies
from appendix_ctoriscv.cse import eliminate_common_subexpressions
from appendix_ctoriscv.dce import eliminate_dead_code
from appendix_ctoriscv.fold import fold_constants
from appendix_ctoriscv.hoist import hoist_loop_constants
from appendix_ctoriscv.inline import inline_small_functions
from appendix_ctoriscv.ir import IRFunction, format_function
from appendix_ctoriscv.ivsr import reduce_induction_variables
from appendix_ctoriscv.licm import hoist_loop_invariants
from appendix_ctoriscv.ssa import from_ssa, to_ssa
from appendix_ctoriscv.strength import reduce_strength

# --8<-- [start:passes]
PASSES = [
    ("fold", fold_constants),
    ("copyprop", propagate_copies),
    ("licm", hoist_loop_invariants),
    ("ivsr", reduce_induction_variables),
    ("strength", reduce_strength),
    ("cse", eliminate_common_subexpressions),
    ("dce", eliminate_dead_code),
]
MAX_ROUNDS = 10  # each round shrinks the code; this only bounds a pathological case


def optimize(functions: list[IRFunction], trace=None) -> None:
    """Optimise every function in place, leaving it out of SSA for the register allocator."""
    show = trace or (lambda title, fn: None)
    by_name = {fn.name: fn for fn in functions}
    for fn in functions:
        to_ssa(fn)
        show("ssa", fn)
    for fn in functions:  # in source order: a callee defined earlier is optimised already
        for _ in range(MAX_ROUNDS):
            changed = inline_small_functions(fn, by_name)
            if changed:
                show("inline", fn)
            for name, run in PASSES:
                if run(fn):
                    changed = True
                    show(name, fn)
            if not changed:
                break
    for fn in functions:
        if hoist_loop_constants(fn):
            show("hoist", fn)
        from_ssa(fn)
        simplify_cfg(fn)
        show("out of ssa", fn)
# --8<-- [end:passes]


def pass_dump(functions: list[IRFunction]) -> str:
    """The IR of every function after each pass that changed it, for `--dump-passes`."""
    parts = []
    optimize(functions, lambda title, fn: parts.append(f"; after {title}\n{format_function(fn)}"))
    return "\n\n".join(parts)
