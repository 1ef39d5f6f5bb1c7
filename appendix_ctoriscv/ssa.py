"""Static single assignment: into SSA (mem2reg) and out of it, around the -O1 passes.

In SSA form every temporary has exactly one definition, so "the value of %7" means one thing
everywhere, and a pass that knows %7 is 4 may put 4 wherever %7 is read. lower.py already defines
each temporary once; only the variables in frame slots are assigned again and again. `to_ssa`
turns every scalar slot whose address does not escape into temporaries: a load becomes the value
last stored, and where paths with different values meet, a `phi` picks the value of the edge
taken (the on-demand construction of Braun et al., "Simple and Efficient Construction of SSA
Form", 2013). `from_ssa` replaces each phi by copies at the end of its predecessors.
"""

from __future__ import annotations

from appendix_ctoriscv.cfg import remove_unreachable, replace_uses
from appendix_ctoriscv.ir import BINARY, Block, Instr, IRFunction

WIDTH_OF_SIZE = {1: ("i8", "u8"), 2: ("i16", "u16"), 4: ("i32",)}

# *** 1. into SSA ***


def promotable_slots(fn: IRFunction) -> set[str]:
    """Scalar slots used only through `addr` results that feed loads and stores of their width:
    no pointer to them escapes, so no store through another pointer can change them."""
    addr_of = {i.dst: i.args[0] for i in fn.instructions()
               if i.op == "addr" and i.args[0] in fn.slots}  # fmt: skip
    slots = {name for name, (size, _) in fn.slots.items() if size in WIDTH_OF_SIZE}
    for ins in fn.instructions():
        if ins.op == "memzero":
            slots.discard(ins.args[0])
        for k, a in enumerate(ins.args):
            if a not in addr_of:
                continue
            slot = addr_of[a]
            if slot not in slots:
                continue
            access = ins.kind in ("load", "store") and k == 0
            if not access or ins.op.split(".")[1] not in WIDTH_OF_SIZE[fn.slots[slot][0]]:
                slots.discard(slot)  # the address escapes, or a different width reads it
    return slots


# --8<-- [start:to_ssa]
def to_ssa(fn: IRFunction) -> None:
    """Promote the scalar slots to temporaries, with phis where control flow joins."""
    slots = promotable_slots(fn)
    addr_of = {i.dst: i.args[0] for i in fn.instructions() if i.op == "addr" and i.args[0] in slots}
    preds = fn.predecessors()
    at_entry: dict[str, object] = {}  # parameter slot -> the temporary the argument arrives in
    for k, param in enumerate(fn.params):
        if param in slots:
            fn.params[k] = at_entry[param] = fn.new_temp()
    stored_last: dict[str, dict[str, object]] = {b.name: {} for b in fn.blocks}
    for b in fn.blocks:
        for ins in b.instrs:
            if ins.kind == "store" and ins.args[0] in addr_of:
                stored_last[b.name][addr_of[ins.args[0]]] = ins.args[1]
    phis: dict[str, list[Instr]] = {b.name: [] for b in fn.blocks}
    value_in: dict[tuple[str, str], object] = {}

    def value_at_entry(block: str, slot: str):
        if (block, slot) not in value_in:
            if block == fn.blocks[0].name or not preds[block]:
                value_in[block, slot] = at_entry.get(slot, 0)  # read before any store: 0
            elif len(preds[block]) == 1:
                value_in[block, slot] = value_at_exit(preds[block][0], slot)
            else:  # a join: a phi, recorded before its operands so that loops end here
                phi = Instr("phi", fn.new_temp(), incoming=list(preds[block]))
                phis[block].append(phi)
                value_in[block, slot] = phi.dst
                phi.args = [value_at_exit(p, slot) for p in preds[block]]
        return value_in[block, slot]

    def value_at_exit(block: str, slot: str):
        stored = stored_last[block]
        return stored[slot] if slot in stored else value_at_entry(block, slot)

    replacement = {}  # each load of a promoted slot -> the value it reads
    for b in fn.blocks:
        current: dict[str, object] = {}
        kept = []
        for ins in b.instrs:
            if ins.op == "addr" and ins.dst in addr_of:
                continue
            if ins.kind == "load" and ins.args[0] in addr_of:
                slot = addr_of[ins.args[0]]
                replacement[ins.dst] = current[slot] if slot in current else value_at_entry(
                    b.name, slot)
            elif ins.kind == "store" and ins.args[0] in addr_of:
                current[addr_of[ins.args[0]]] = ins.args[1]
            else:
                kept.append(ins)
        b.instrs = kept
    for b in fn.blocks:
        b.instrs = phis[b.name] + b.instrs
    replace_uses(fn, replacement)
    for slot in slots:
        del fn.slots[slot]
    remove_trivial_phis(fn)
# --8<-- [end:to_ssa]


def remove_trivial_phis(fn: IRFunction) -> None:
    """A phi whose operands are all one value (or the phi itself, around a loop) is that value."""
    changed = True
    while changed:
        changed = False
        replacement = {}
        for b in fn.blocks:
            for phi in [i for i in b.instrs if i.op == "phi"]:
                values = {a for a in phi.args if a != phi.dst}
                if len(values) <= 1:
                    replacement[phi.dst] = values.pop() if values else 0
                    b.instrs.remove(phi)
        if replacement:
            replace_uses(fn, replacement)
            changed = True


# *** 2. out of SSA ***


def split_critical_edges(fn: IRFunction) -> None:
    """An edge from a block with two successors to a block with two predecessors gets a block
    of its own, where the copies for the phis can go without running on the other edges."""
    preds, by_name = fn.predecessors(), {b.name: b for b in fn.blocks}
    for b in list(fn.blocks):
        if not any(i.op == "phi" for i in b.instrs) or len(preds[b.name]) < 2:
            continue
        for pred_name in dict.fromkeys(preds[b.name]):
            pred = by_name[pred_name]
            if len(pred.successors()) < 2:
                continue
            for k, target in enumerate(pred.terminator.args):
                if k == 0 or target != b.name:
                    continue
                split = Block(f"{pred_name}.to.{b.name}.{k}", [Instr("jmp", None, [b.name])])
                fn.blocks.insert(fn.blocks.index(b), split)  # falls through into b
                pred.terminator.args[k] = split.name
                for phi in (i for i in b.instrs if i.op == "phi"):
                    at = phi.incoming.index(pred_name)
                    phi.incoming[at] = split.name


# --8<-- [start:from_ssa]
def from_ssa(fn: IRFunction) -> None:
    """Replace each `d = phi v1 [p1], v2 [p2]...` by `d' = mov vi` at the end of each pi and
    `d = mov d'` in its place: the fresh d' keeps parallel phis from overwriting each other's
    operands (the "swap problem"); regalloc.py merges the copies where it can."""
    split_critical_edges(fn)
    by_name = {b.name: b for b in fn.blocks}
    for b in fn.blocks:
        phis = [i for i in b.instrs if i.op == "phi"]
        for phi in phis:
            fresh = fn.new_temp()
            for value, pred_name in zip(phi.args, phi.incoming):
                pred = by_name[pred_name]
                at = len(pred.instrs) - 1
                if at >= 1 and pred.instrs[at - 1].op in BINARY and pred.terminator.op == "br":
                    at -= 1  # keep a compare next to its branch, for one compare-and-branch
                    if pred.instrs[at].dst == value:
                        at += 1
                pred.instrs.insert(at, Instr("mov", fresh, [value]))
            phi.op, phi.args, phi.incoming = "mov", [fresh], []
    remove_unreachable(fn)
# --8<-- [end:from_ssa]
