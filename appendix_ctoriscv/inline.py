"""Inlining: a call to a small function of the same file is replaced by a copy of its body.

A call costs more than its instruction: the arguments move to a0-a7, the callee saves and
restores registers, and every value the caller keeps in a caller-saved register must survive it.
For a function of a few instructions (a max, an absolute value, an index computation) that
overhead is most of the work, and once the body sits in the caller, constant folding and CSE
see through it. Only functions in SSA form without frame slots are copied, and never a function
into itself: recursion would not end.
"""

from __future__ import annotations

from appendix_ctoriscv.ir import Block, Instr, IRFunction, is_temp

MAX_INSTRUCTIONS = 12  # a callee longer than this is called, not copied


def inlinable(callee: IRFunction) -> bool:
    size = sum(len(b.instrs) for b in callee.blocks)
    calls_itself = any(i.op == "call" and i.args[0] == callee.name for i in callee.instructions())
    two_words = any(i.op == "ret" and len(i.args) > 1 for i in callee.instructions())
    return (size <= MAX_INSTRUCTIONS and not callee.slots and not calls_itself and not two_words
            and all(is_temp(p) for p in callee.params))  # fmt: skip


# --8<-- [start:inline_call]
def inline_call(fn: IRFunction, block: Block, at: int, callee: IRFunction, tag: str) -> None:
    """Replace the call block.instrs[at] by the blocks of `callee`, renamed apart."""
    call = block.instrs[at]
    rename = dict(zip(callee.params, call.args[1:]))  # parameters -> the arguments

    def temp(t):
        if is_temp(t) and t not in rename:
            rename[t] = fn.new_temp()
        return rename.get(t, t)

    label = {b.name: f"{tag}.{b.name}" for b in callee.blocks}
    after = Block(f"{tag}.after", block.instrs[at + 1 :])
    returns = []  # (value, block) for each `ret`
    copies = []
    for b in callee.blocks:
        copy = Block(label[b.name])
        for ins in b.instrs:
            new = Instr(ins.op, temp(ins.dst) if ins.dst else None, [temp(a) for a in ins.args],
                        [label[p] for p in ins.incoming])
            if ins.op in ("br", "jmp"):
                new.args = [new.args[0], *[label[t] for t in ins.args[1:]]] if ins.op == "br" \
                    else [label[ins.args[0]]]
            if ins.op == "ret":
                returns.append((new.args[0] if new.args else 0, copy.name))
                new = Instr("jmp", None, [after.name])
            copy.instrs.append(new)
        copies.append(copy)
    if len(returns) == 1:
        after.instrs.insert(0, Instr("mov", call.dst, [returns[0][0]]))
    else:
        after.instrs.insert(0, Instr("phi", call.dst, [v for v, _ in returns],
                                     [b for _, b in returns]))
    for succ in after.instrs[-1].targets():  # the successors' phis now come from `after`
        for phi in (i for i in fn.block(succ).instrs if i.op == "phi"):
            phi.incoming = [after.name if p == block.name else p for p in phi.incoming]
    block.instrs = block.instrs[:at] + [Instr("jmp", None, [copies[0].name])]
    where = fn.blocks.index(block) + 1
    fn.blocks[where:where] = copies + [after]
# --8<-- [end:inline_call]


def inline_small_functions(fn: IRFunction, functions: dict[str, IRFunction]) -> bool:
    """Inline every call in `fn` to an inlinable function of `functions`; True if any."""
    changed = False
    for block in list(fn.blocks):
        for at, ins in enumerate(block.instrs):
            callee = functions.get(ins.args[0]) if ins.op == "call" else None
            if callee is not None and callee is not fn and inlinable(callee):
                fn.inlined += 1
                inline_call(fn, block, at, callee, f"inl{fn.inlined}")
                changed = True
                break  # the rest of this block moved to `after`, which the loop reaches
    return changed
