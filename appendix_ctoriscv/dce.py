"""Dead code elimination: drop every instruction whose result nobody needs.

Mark and sweep, as a garbage collector does: stores, calls, memzero and the terminators are
needed for what they do; an instruction is needed if a needed one reads its result; the rest
goes. In SSA each temporary has one definition, so "the instruction that computes %7" is a
lookup, and a loop of phis that only feed each other dies too.
"""

from __future__ import annotations

from appendix_ctoriscv.ir import SIDE_EFFECTS, IRFunction


# --8<-- [start:eliminate_dead_code]
def eliminate_dead_code(fn: IRFunction) -> bool:
    """Remove the instructions no side effect depends on; True if any went."""
    # EXERCISE A.12: mark: start from the side effects, add the definitions of what they read
    definition = {i.dst: i for i in fn.instructions() if i.dst}
    live = [i for i in fn.instructions() if i.kind in SIDE_EFFECTS]
    needed = set(live)
    while live:
        for temp in live.pop().uses():
            ins = definition.get(temp)
            if ins is not None and ins not in needed:
                needed.add(ins)
                live.append(ins)
    # END EXERCISE
    removed = False
    for b in fn.blocks:
        kept = [i for i in b.instrs if i in needed]
        removed |= len(kept) < len(b.instrs)
        b.instrs = kept
    return removed
# --8<-- [end:eliminate_dead_code]
