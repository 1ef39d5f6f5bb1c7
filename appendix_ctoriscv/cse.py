"""Common subexpression elimination over the dominator tree.

If `%9 = add %3, %4` is computed in a block that dominates a later `%12 = add %3, %4`, then on
every path to the second the first has run, with the same operands (SSA: they cannot change), so
%12 is %9. The walk keeps a table of the expressions available in the dominating blocks, as a
scoped symbol table keeps the names of enclosing blocks. Loads are merged only inside one block
and only until a store, call or memzero, which may change memory.
"""

from __future__ import annotations

from appendix_ctoriscv.cfg import dominator_tree, replace_uses
from appendix_ctoriscv.fold import COMMUTATIVE
from appendix_ctoriscv.ir import BINARY, CONVERSIONS, IRFunction

PURE = set(BINARY) | set(CONVERSIONS) | {"neg", "not", "bitnot", "addr"}
CLOBBERS_MEMORY = ("store", "call", "memzero", "memcpy")


# --8<-- [start:eliminate_common_subexpressions]
def eliminate_common_subexpressions(fn: IRFunction) -> bool:
    """Replace recomputations by the first result; True if any was found."""
    tree = dominator_tree(fn)
    blocks = {b.name: b for b in fn.blocks}
    replacement = {}
    available: dict[tuple, str] = {}
    stack = [(fn.blocks[0].name, None)]
    while stack:  # depth-first over the dominator tree; `None` entries undo a block's table
        name, undo = stack.pop()
        if undo is not None:
            for key in undo:
                del available[key]
            continue
        added, loads = [], {}
        kept = []
        for ins in blocks[name].instrs:
            args = tuple(replacement.get(a, a) for a in ins.args)
            if ins.op in COMMUTATIVE:
                args = tuple(sorted(args, key=str))  # a + b is b + a
            key = (ins.op, args)
            if ins.op in PURE or ins.kind == "load":
                table = available if ins.op in PURE else loads
                if key in table:
                    replacement[ins.dst] = table[key]
                    continue
                table[key] = ins.dst
                if table is available:
                    added.append(key)
            elif ins.kind in CLOBBERS_MEMORY:
                loads.clear()
            kept.append(ins)
        blocks[name].instrs = kept
        stack.append((name, added))
        stack += [(child, None) for child in reversed(tree[name])]
    replace_uses(fn, replacement)
    return bool(replacement)
# --8<-- [end:eliminate_common_subexpressions]
