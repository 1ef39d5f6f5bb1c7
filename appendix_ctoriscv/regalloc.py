"""Register allocation for -O1: liveness, copy coalescing, and linear scan with spilling.

Input: a function out of SSA (ssa.from_ssa), whose temporaries may be defined more than once.
Output: {temporary: register}; codegen.py puts every temporary without one in the frame.
1. liveness: which temporaries a later instruction may still read, by dataflow to a fixed point;
2. coalescing: a `mov d, s` where d and s are never live at once makes d and s one temporary
   (the copies from_ssa writes for the phis mostly disappear here);
3. linear scan (Poletto and Sarkar, 1999): each temporary lives over one interval of the
   instructions in layout order; walking the intervals by start, each takes a free register or,
   if none is left, the one with the furthest end is spilled. A temporary live across a call
   needs a callee-saved register (s1-s11); the others prefer t3-t6, which cost no save.
"""

from __future__ import annotations

import bisect

from appendix_ctoriscv.cfg import simplify_cfg
from appendix_ctoriscv.codegen import CALLEE_SAVED, CALLER_SAVED, clobbers_caller_saved
from appendix_ctoriscv.ir import IRFunction

ARGUMENTS = [f"a{i}" for i in range(7, -1, -1)]  # a7 first: a0 and a1 serve the helpers
PREFERENCE = CALLER_SAVED + ARGUMENTS + CALLEE_SAVED  # the callee-saved ones cost a save

# *** 1. liveness ***


# --8<-- [start:liveness]
def liveness(fn: IRFunction) -> tuple[dict[str, set], dict[str, set]]:
    """live_in and live_out of every block: the temporaries read later before being written.

    live_out(b) = union of live_in(s) over the successors s of b
    live_in(b) = uses(b) | (live_out(b) - defs(b)), uses(b) counting only reads before a write
    """
    uses, defs = {}, {}
    for b in fn.blocks:
        u, d = set(), set()
        for ins in b.instrs:
            u |= {t for t in ins.uses() if t not in d}
            if ins.dst:
                d.add(ins.dst)
        uses[b.name], defs[b.name] = u, d
    live_in = {b.name: set() for b in fn.blocks}
    live_out = {b.name: set() for b in fn.blocks}
    # EXERCISE A.13: apply the two equations to every block until no set changes
    changed = True
    while changed:  # backward problem: visit the blocks last to first
        changed = False
        for b in reversed(fn.blocks):
            out = set().union(*(live_in[s] for s in b.successors()))
            new_in = uses[b.name] | (out - defs[b.name])
            if out != live_out[b.name] or new_in != live_in[b.name]:
                live_out[b.name], live_in[b.name], changed = out, new_in, True
    # END EXERCISE
    return live_in, live_out
# --8<-- [end:liveness]


# *** 2. coalescing copies ***


def interference(fn: IRFunction, live_in, live_out) -> dict[str, set]:
    """t1 -- t2 if one is defined where the other is live (a copy's source does not count)."""
    graph: dict[str, set] = {}

    def edge(a, b):
        if a != b:
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set()).add(a)

    for b in fn.blocks:
        live = set(live_out[b.name])
        for ins in reversed(b.instrs):
            if ins.dst:
                graph.setdefault(ins.dst, set())
                for t in live:
                    if not (ins.op == "mov" and t == ins.args[0]):
                        edge(ins.dst, t)
                live.discard(ins.dst)
            live |= set(ins.uses())
    entry = live_in[fn.blocks[0].name] | {p for p in fn.params if p.startswith("%")}
    for p in entry & set(fn.params):  # the parameters are all defined at the entry, at once
        for t in entry:
            edge(p, t)
    return graph


# --8<-- [start:coalesce]
def coalesce(fn: IRFunction) -> None:
    """Merge the two sides of every copy that do not interfere, and drop the copy."""
    graph = interference(fn, *liveness(fn))
    parent: dict[str, str] = {}

    def find(t):
        while t in parent:
            t = parent[t]
        return t

    for ins in list(fn.instructions()):
        if ins.op != "mov" or not isinstance(ins.args[0], str):
            continue
        d, s = find(ins.dst), find(ins.args[0])
        if d == s or s in graph.get(d, ()):
            continue
        parent[s] = d  # s becomes d: d inherits s's neighbours
        for n in graph.pop(s, set()):
            graph[n].discard(s)
            graph[n].add(d)
            graph.setdefault(d, set()).add(n)
    for ins in fn.instructions():
        ins.dst = find(ins.dst) if ins.dst else None
        ins.args = [find(a) if isinstance(a, str) and a.startswith("%") else a for a in ins.args]
    fn.params = [find(p) if p.startswith("%") else p for p in fn.params]
    for b in fn.blocks:
        b.instrs = [i for i in b.instrs if not (i.op == "mov" and i.args[0] == i.dst)]
# --8<-- [end:coalesce]


# *** 3. linear scan ***


def intervals(fn: IRFunction) -> tuple[dict[str, list[int]], list[int]]:
    """temporary -> [first, last] position, over the instructions numbered in layout order;
    and the positions of the calls."""
    live_in, live_out = liveness(fn)
    span: dict[str, list[int]] = {}
    calls = []

    def extend(t, pos):
        if t in span:
            span[t][0], span[t][1] = min(span[t][0], pos), max(span[t][1], pos)
        else:
            span[t] = [pos, pos]

    for p in fn.params:
        if p.startswith("%"):
            extend(p, -1)
    pos = 0
    for b in fn.blocks:
        start = pos
        for ins in b.instrs:
            pos += 2
            for t in ins.uses():
                extend(t, pos)
            if ins.dst:
                extend(ins.dst, pos)
            if clobbers_caller_saved(ins):
                calls.append(pos)
        pos += 2
        for t in live_in[b.name]:
            extend(t, start)
        for t in live_out[b.name]:
            extend(t, pos)
    return span, calls


# --8<-- [start:linear_scan]
def linear_scan(fn: IRFunction) -> dict[str, str]:
    """temporary -> register for as many temporaries as fit; the rest are spilled."""
    span, calls = intervals(fn)
    crosses_call = {t: bisect.bisect_right(calls, s) < bisect.bisect_left(calls, e)
                    for t, (s, e) in span.items()}  # fmt: skip
    # a0-a7 hold a temporary only between calls: not the arguments of a call, or its result
    free = CALLER_SAVED + ARGUMENTS + CALLEE_SAVED
    between_calls = {t: s >= 0 and bisect.bisect_left(calls, s) == bisect.bisect_right(calls, e)
                     for t, (s, e) in span.items()}  # fmt: skip
    active: list[str] = []  # temporaries holding a register, by increasing end
    where: dict[str, str] = {}
    # a parameter that no call disturbs may stay in the register it arrives in
    own = {p: reg for p, reg in zip(fn.params, reversed(ARGUMENTS))
           if p in span and bisect.bisect_right(calls, span[p][1]) == 0}  # fmt: skip
    for t in sorted(span, key=lambda t: span[t][0]):
        start, end = span[t]
        for old in [a for a in active if span[a][1] <= start]:  # expired: registers come back
            active.remove(old)
            free.append(where[old])
        usable = [r for r in free if r in CALLEE_SAVED or not crosses_call[t]]
        usable = [r for r in usable if r not in ARGUMENTS or between_calls[t]]
        if own.get(t) in free:
            usable = [own[t]]
        if usable:
            reg = min(usable, key=PREFERENCE.index)
            free.remove(reg)
        else:  # spill whichever ends last: it blocks a register longest
            holders = [a for a in active if where[a] in CALLEE_SAVED or not crosses_call[t]]
            holders = [a for a in holders if where[a] not in ARGUMENTS or between_calls[t]]
            victim = max(holders, key=lambda a: span[a][1], default=None)
            if victim is None or span[victim][1] <= end:
                continue  # t lives in the frame
            reg = where.pop(victim)
            active.remove(victim)
        where[t] = reg
        active.append(t)
        active.sort(key=lambda a: span[a][1])
    return where
# --8<-- [end:linear_scan]


def allocate_registers(fn: IRFunction) -> dict[str, str]:
    coalesce(fn)
    simplify_cfg(fn)  # blocks that held only copies may be empty now
    return linear_scan(fn)
