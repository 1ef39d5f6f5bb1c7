"""Copy propagation on SSA form: after `%5 = mov %3`, every use of %5 may read %3 instead.

In SSA neither temporary is assigned again, so the copy is exact everywhere %5 is visible. A phi
whose operands are all one value is a copy too. The `mov`s themselves are left for dce.py.
"""

from __future__ import annotations

from appendix_ctoriscv.cfg import replace_uses
from appendix_ctoriscv.ir import IRFunction


# --8<-- [start:propagate_copies]
def propagate_copies(fn: IRFunction) -> bool:
    """Replace uses of copies by their sources; True if anything changed."""
    copies = {}
    for ins in fn.instructions():
        if ins.op == "mov":
            copies[ins.dst] = ins.args[0]
        elif ins.op == "phi" and len({a for a in ins.args if a != ins.dst}) == 1:
            copies[ins.dst] = next(a for a in ins.args if a != ins.dst)
    for b in fn.blocks:
        b.instrs = [i for i in b.instrs if i.dst not in copies]
    replace_uses(fn, copies)
    return bool(copies)
# --8<-- [end:propagate_copies]
