"""The scheduler: a tensor graph -> an ordered list of kernels, and a plan for their memory.

Input: the nodes the user wants (a list of tensor-graph UOps). Output: `ScheduleItem`s in an
order that respects their data dependencies; each computes one realized node from realized
inputs. Every node that is not realized is fused into the kernels that read it, as index
arithmetic (movement ops) or inline scalar code (ALU ops, reductions). Legality (`can_fuse`) and
profit (`score_fusion`) are kept apart, as in inductor; a refusal comes with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from ch4_pt2.ops import GroupOp, Ops, UOp

RECOMPUTE_LIMIT = 16  # ALU ops an elementwise node may cost before two kernels share a store


@dataclass(frozen=True, eq=False)
class ScheduleItem:
    """One kernel (or host call, for EXTERN): writes `root`, reads `inputs`."""

    root: UOp
    inputs: tuple[UOp, ...]
    reason: str  # why root is realized (a kernel boundary), for DEBUG output


# *** 1. realize points: which nodes get memory of their own ***


def trailing_expand(u: UOp) -> bool:
    """An EXPAND that only grows axes after the input's last non-1 axis: (B,T,1) -> (B,T,C).

    Read in the kernel's loop order, its input element stays the same across the inner loops,
    so lowering computes it once (hoisted); any other expand would recompute it per element.
    """
    src = u.src[0].shape
    grown = [i for i, (a, b) in enumerate(zip(src, u.shape)) if a != b]
    kept = [i for i, n in enumerate(src) if n != 1]
    return not kept or not grown or max(kept) < min(grown)


def alu_count(u: UOp, stop: dict) -> int:
    """ALU ops in u's fused expression, counting down to realized nodes (an estimate of cost)."""
    count, seen, stack = 0, set(), [u]
    while stack:
        n = stack.pop()
        if n in seen or (n is not u and n in stop):
            continue
        seen.add(n)
        count += n.op in GroupOp.ALU or n.op is Ops.REDUCE_AXIS
        stack.extend(n.src)
    return count


def has_reduce(u: UOp, stop: dict) -> bool:
    return any(n.op is Ops.REDUCE_AXIS for n in u.toposort() if n is u or n not in stop)


def value_readers(node: UOp, users: dict) -> set[UOp]:
    """The ops that read node's value, looking through movement ops (they only re-index it)."""
    readers, stack = set(), list(users[node])
    while stack:
        u = stack.pop()
        if u.op in GroupOp.Movement:
            stack.extend(users[u])
        else:
            readers.add(u)
    return readers


# --8<-- [start:can_fuse]
def can_fuse(node: UOp, kernels: set[UOp], users: dict, broadcast: bool, realized: dict):
    """(True, "") if node may be computed inside the kernels that read it, else (False, why).

    Legality: EXTERN outputs and inputs and CONTIGUOUS are always realized; a reduction read
    through a broadcast that is not trailing would be recomputed per element of the broadcast.
    """
    if node.op is Ops.CONTIGUOUS:
        return False, "contiguous() asks for a buffer"
    if node.op is Ops.EXTERN or any(u.op is Ops.EXTERN for u in users[node]):
        return False, "host call: its inputs and outputs are buffers"
    if node.op in GroupOp.Movement:
        return True, ""  # index arithmetic, free in every kernel that reads it
    if broadcast and has_reduce(node, realized):
        return False, "reduction read through a broadcast: each read would redo the loop"
    if node.op is Ops.REDUCE_AXIS and len(readers := value_readers(node, users)) > 1:
        return False, f"reduction read by {len(readers)} ops: computed once, read many times"
    return True, ""


def score_fusion(node: UOp, kernels: set[UOp], broadcast: bool, realized: dict) -> tuple:
    """(profit, why): > 0 to fuse. Fusing saves a store and a load per element; it costs the
    node's arithmetic once more for every extra kernel or broadcast copy that reads it."""
    cost = alu_count(node, realized)
    if len(kernels) > 1 and (cost > RECOMPUTE_LIMIT or has_reduce(node, realized)):
        return -1, f"read by {len(kernels)} kernels and costs {cost} ops: store it once"
    if broadcast and cost > 2:
        return -1, f"read through a broadcast and costs {cost} ops: store it once"
    return 1, ""
# --8<-- [end:can_fuse]


def realize_points(outputs: list[UOp]) -> dict[UOp, str]:
    """Every node that becomes a kernel output, with the reason."""
    sink = UOp(Ops.SINK, None, tuple(outputs))
    nodes = sink.toposort()[:-1]
    users: dict[UOp, list[UOp]] = {n: [] for n in nodes}
    for n in nodes:
        for s in n.src:
            users[s].append(n)
    realized = {o: "output" for o in outputs if o.op is not Ops.BUFFER}
    kernels_of: dict[UOp, set[UOp]] = {}
    broadcast: dict[UOp, bool] = {}  # read through a non-trailing expand inside its kernel
    for n in reversed(nodes):
        if n.op in (Ops.BUFFER, Ops.CONST):
            continue
        kernels, wide = set(), False
        for u in users[n]:
            kernels |= kernels_of[u]
            wide |= broadcast[u] or (u.op is Ops.EXPAND and not trailing_expand(u))
        if n not in realized:
            ok, why = can_fuse(n, kernels, users, wide, realized)
            if ok:
                profit, why = score_fusion(n, kernels, wide, realized)
                ok = profit > 0
            if not ok:
                realized[n] = why
        if n in realized:
            kernels_of[n], broadcast[n] = {n}, False
        else:
            kernels_of[n], broadcast[n] = kernels, wide
    return realized


# *** 2. grouping: each realized node with the graph above its inputs ***


def kernel_inputs(root: UOp, realized: dict) -> tuple[UOp, ...]:
    """The realized nodes (and BUFFERs) root's kernel reads, in first-seen order."""
    found, seen, stack = [], set(), list(reversed(root.src))
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n.op is Ops.BUFFER or n in realized:
            found.append(n)
        else:
            stack.extend(reversed(n.src))
    return tuple(found)


# *** 3. order and memory plan ***


# --8<-- [start:schedule]
def create_schedule(outputs: list[UOp]) -> list[ScheduleItem]:
    """Kernels in dependency order (a topological order of the realized nodes)."""
    realized = realize_points(outputs)
    order = UOp(Ops.SINK, None, tuple(outputs)).toposort()
    return [ScheduleItem(n, kernel_inputs(n, realized), realized[n])
            for n in order if n in realized]
# --8<-- [end:schedule]


# --8<-- [start:memory_plan]
def memory_plan(items: list[ScheduleItem], keep: set[UOp]) -> dict[UOp, int]:
    """Assign each kernel output a slot; a slot is reused once its last reader has run.

    `keep` (the user's outputs) never share. A kernel's output never shares with its own inputs,
    so kernels may declare their pointers `restrict`. Returns node -> slot number; slot sizes
    are the largest node (in bytes) put there.
    """
    last_use = {}
    for i, item in enumerate(items):
        for x in item.inputs:
            last_use[x] = i
    slot_of: dict[UOp, int] = {}
    free: list[int] = []
    for i, item in enumerate(items):
        node = item.root
        if node in keep or not free:
            slot_of[node] = len(set(slot_of.values()) | set(free))
        else:
            slot_of[node] = free.pop()
        for x in item.inputs:  # their last reader has run: their slots come free after it
            if last_use.get(x) == i and x in slot_of and x not in keep:
                free.append(slot_of[x])
        if last_use.get(node) is None and node not in keep:
            free.append(slot_of[node])  # never read: its slot is free at once
    return slot_of
# --8<-- [end:memory_plan]
