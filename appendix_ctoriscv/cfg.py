"""Control-flow graph analyses over an IRFunction: orders, dominators, and edits of the graph.

A block d *dominates* a block b when every path from the entry to b passes through d; the
immediate dominator of b is the closest such d, and the idom links form the dominator tree that
ssa.py and cse.py walk. Computed by the iterative algorithm of Cooper, Harvey and Kennedy
("A Simple, Fast Dominance Algorithm", 2001) over the reverse postorder.
"""

from __future__ import annotations

from appendix_ctoriscv.ir import IRFunction


def reverse_postorder(fn: IRFunction) -> list[str]:
    """The blocks reachable from the entry, each before its successors except along back edges."""
    succs = {b.name: b.successors() for b in fn.blocks}
    order, seen = [], {fn.blocks[0].name}
    stack = [(fn.blocks[0].name, iter(succs[fn.blocks[0].name]))]
    while stack:  # depth-first, without recursion: a function may have thousands of blocks
        name, children = stack[-1]
        child = next(children, None)
        if child is None:
            order.append(name)
            stack.pop()
        elif child not in seen:
            seen.add(child)
            stack.append((child, iter(succs[child])))
    return order[::-1]


# --8<-- [start:dominators]
def immediate_dominators(fn: IRFunction) -> dict[str, str]:
    """Block -> its immediate dominator (the entry maps to itself)."""
    order = reverse_postorder(fn)
    index = {name: i for i, name in enumerate(order)}
    preds = fn.predecessors()
    idom = {order[0]: order[0]}

    def intersect(a: str, b: str) -> str:  # walk up the tree from both until they meet
        while a != b:
            while index[a] > index[b]:
                a = idom[a]
            while index[b] > index[a]:
                b = idom[b]
        return a

    changed = True
    while changed:
        changed = False
        for name in order[1:]:
            done = [p for p in preds[name] if p in idom]
            new = done[0]
            for p in done[1:]:
                new = intersect(p, new)
            if idom.get(name) != new:
                idom[name], changed = new, True
    return idom
# --8<-- [end:dominators]


def dominator_tree(fn: IRFunction) -> dict[str, list[str]]:
    """Block -> the blocks it immediately dominates, in reverse postorder."""
    idom = immediate_dominators(fn)
    children: dict[str, list[str]] = {name: [] for name in idom}
    for name in reverse_postorder(fn)[1:]:
        children[idom[name]].append(name)
    return children


def remove_unreachable(fn: IRFunction) -> None:
    """Drop the blocks no path from the entry reaches, and their operands of phis."""
    reachable = set(reverse_postorder(fn))
    fn.blocks = [b for b in fn.blocks if b.name in reachable]
    for b in fn.blocks:
        for phi in (i for i in b.instrs if i.op == "phi"):
            keep = [k for k, p in enumerate(phi.incoming) if p in reachable]
            phi.args = [phi.args[k] for k in keep]
            phi.incoming = [phi.incoming[k] for k in keep]


def replace_uses(fn: IRFunction, replacement: dict) -> None:
    """Rewrite every operand found in `replacement` (temp -> operand), following chains."""
    def resolve(v):
        while isinstance(v, str) and v in replacement:
            v = replacement[v]
        return v

    for ins in fn.instructions():
        ins.args = [resolve(a) for a in ins.args]


def natural_loops(fn: IRFunction) -> dict[str, set[str]]:
    """Loop header -> the blocks of its loop, for every back edge b -> h (h dominates b)."""
    idom = immediate_dominators(fn)
    index = {name: i for i, name in enumerate(reverse_postorder(fn))}
    preds = fn.predecessors()

    def dominates(h: str, b: str) -> bool:
        while b != h and idom[b] != b:
            b = idom[b]
        return b == h

    loops: dict[str, set[str]] = {}
    for b in fn.blocks:
        for h in b.successors():
            # a back edge goes up the reverse postorder: test dominance only for those
            if b.name in idom and index[h] <= index[b.name] and dominates(h, b.name):
                body, todo = {h, b.name}, [b.name]
                while todo:
                    for p in preds[todo.pop()]:
                        if p not in body and p in idom:
                            body.add(p)
                            todo.append(p)
                loops.setdefault(h, set()).update(body)
    return loops


# --8<-- [start:simplify_cfg]
def simplify_cfg(fn: IRFunction) -> None:
    """Jump straight past blocks that only jump, and merge a block into its only predecessor
    when that predecessor only jumps to it. For code out of SSA form (no phis to keep right)."""
    only_jumps = {b.name: b.instrs[0].args[0] for b in fn.blocks
                  if len(b.instrs) == 1 and b.instrs[0].op == "jmp"}  # fmt: skip

    def final(target: str) -> str:
        seen = {target}
        while target in only_jumps and only_jumps[target] not in seen:
            target = only_jumps[target]
            seen.add(target)
        return target

    for b in fn.blocks:
        last = b.instrs[-1]
        if last.op == "jmp":
            last.args = [final(last.args[0])]
        elif last.op == "br":
            last.args[1:] = [final(t) for t in last.args[1:]]
            if last.args[1] == last.args[2]:
                b.instrs[-1] = type(last)("jmp", None, [last.args[1]])
    remove_unreachable(fn)
    preds = fn.predecessors()
    by_name = {b.name: b for b in fn.blocks}
    for b in list(fn.blocks):
        while (b.name in by_name and b.instrs[-1].op == "jmp"
               and len(preds[b.instrs[-1].args[0]]) == 1
               and b.instrs[-1].args[0] != fn.blocks[0].name
               and b.instrs[-1].args[0] != b.name):  # fmt: skip
            nxt = by_name.pop(b.instrs[-1].args[0])
            b.instrs = b.instrs[:-1] + nxt.instrs
            fn.blocks.remove(nxt)
            for succ in nxt.successors():
                preds[succ] = [b.name if p == nxt.name else p for p in preds[succ]]
# --8<-- [end:simplify_cfg]
