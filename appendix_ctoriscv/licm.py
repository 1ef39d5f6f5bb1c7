"""Loop-invariant code motion: what a loop computes the same way on every trip is computed once.

`a[i][k]` in the inner loop of a matrix product is `a + i*80 + k*4`; `a + i*80` does not change
while k runs, yet it is recomputed on every trip. An instruction in a loop whose operands are all
defined outside it (or are constants) moves to the loop's preheader, the one block that enters
the loop from outside. Only pure instructions that cannot fault or call move: arithmetic other
than division, conversions and addresses; a load might read memory the loop writes. In SSA form
the move is safe: the operands' definitions dominate the header, so they dominate the preheader.
"""

from __future__ import annotations

from appendix_ctoriscv.cfg import natural_loops
from appendix_ctoriscv.ir import BINARY, CONVERSIONS, Instr, IRFunction, is_temp

MOVABLE = (set(BINARY) - {"div", "divu", "rem", "remu"}) | set(CONVERSIONS) | {
    "neg", "not", "bitnot", "addr", "mov"}


def insert_before_end(block, instrs: list[Instr]) -> None:
    """Before the terminator, and before a compare the branch reads (they stay adjacent)."""
    at = len(block.instrs) - 1
    last = block.instrs[-1]
    if at >= 1 and last.op == "br" and block.instrs[at - 1].dst == last.args[0] \
            and block.instrs[at - 1].op in ("eq", "ne", "lt", "ltu", "le", "leu"):
        at -= 1
    block.instrs[at:at] = instrs


# --8<-- [start:hoist_invariants]
def hoist_loop_invariants(fn: IRFunction) -> bool:
    """Move the invariant pure instructions of each loop to its preheader; True if any moved."""
    preds = fn.predecessors()
    blocks = {b.name: b for b in fn.blocks}
    moved_any = False
    for header, body in natural_loops(fn).items():
        outside = [p for p in preds[header] if p not in body]
        if len(outside) != 1:
            continue  # no single preheader to move to
        defined_inside = {i.dst for name in body for i in blocks[name].instrs if i.dst}
        moved = []
        for name in sorted(body, key=[b.name for b in fn.blocks].index):
            for ins in list(blocks[name].instrs):
                if ins.op in MOVABLE and not any(
                        is_temp(a) and a in defined_inside for a in ins.args):
                    blocks[name].instrs.remove(ins)
                    defined_inside.discard(ins.dst)  # what reads it may move too
                    moved.append(ins)
        if moved:
            insert_before_end(blocks[outside[0]], moved)
            moved_any = True
    return moved_any
# --8<-- [end:hoist_invariants]
