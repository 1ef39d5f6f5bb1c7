"""Loop-invariant constants: a constant that a loop needs in a register is loaded once, before.

RV32I instructions take at most a 12-bit constant; a larger one (or any constant a compare or a
store reads) costs an `li` each time the instruction runs. Inside a loop that is an instruction
per trip; defined once at the entry instead, the constant lives in a register across the loop,
as gcc's loop-invariant code motion would put it. Works on SSA form (the new temporaries are
defined once, in the entry block, which dominates every use).
"""

from __future__ import annotations

from appendix_ctoriscv.cfg import natural_loops
from appendix_ctoriscv.codegen import needs_register
from appendix_ctoriscv.ir import Instr, IRFunction


def loop_blocks(fn: IRFunction) -> set[str]:
    """The blocks of every natural loop (cfg.natural_loops)."""
    return set().union(*natural_loops(fn).values())


# --8<-- [start:hoist_constants]
def hoist_loop_constants(fn: IRFunction) -> bool:
    """Give each constant that an instruction in a loop loads a temporary defined at the entry."""
    loops = loop_blocks(fn)
    temp_of: dict[int, str] = {}
    for b in fn.blocks:
        if b.name not in loops:
            continue
        for ins in b.instrs:
            for k in range(len(ins.args)):
                if needs_register(ins, k):
                    if ins.args[k] not in temp_of:
                        temp_of[ins.args[k]] = fn.new_temp()
                    ins.args[k] = temp_of[ins.args[k]]
    fn.blocks[0].instrs[:0] = [Instr("mov", t, [c]) for c, t in temp_of.items()]
    return bool(temp_of)
# --8<-- [end:hoist_constants]
