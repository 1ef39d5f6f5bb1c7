"""The scheduler: a tensor graph -> an ordered list of kernels, and a plan for their memory.

Input: the nodes the user wants (a list of tensor-graph UOps). Output: `ScheduleItem`s in an
order that respects their data dependencies; each computes one realized node, or several that
share a loop nest (`can_share`), from realized inputs. Every node that is not realized is fused
into the kernels that read it, as index arithmetic (movement ops) or inline scalar code (ALU
ops, reductions). Legality (`can_fuse`) and profit (`score_fusion`) are kept apart, as in
inductor; a refusal comes with its reason.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from ch4_pt2 import gemm
from ch4_pt2.ops import GroupOp, Ops, UOp

RECOMPUTE_LIMIT = 16  # ALU ops an elementwise node may cost before two kernels share a store
CHEAP_OPS = 4  # ALU ops below which pass 3 gives a node read by several kernels back to them


@dataclass(frozen=True, eq=False)
class ScheduleItem:
    """One kernel (or host call, for EXTERN): writes `root` (and `extra`), reads `inputs`.

    `root` has the kernel's loop shape; each of `extra` has it with trailing axes reduced to 1
    (a row's mean beside the row), and is stored once per iteration of the loops outside those.
    `members` are the realized nodes computed inside (stored or not)."""

    root: UOp
    inputs: tuple[UOp, ...]
    reason: str  # why root is realized (a kernel boundary), for DEBUG output
    extra: tuple[UOp, ...] = ()
    members: tuple[UOp, ...] = ()

    @property
    def outputs(self) -> tuple[UOp, ...]:
        return (self.root, *self.extra)


# *** 1. realize points: which nodes get memory of their own ***


def trailing_expand(u: UOp) -> bool:
    """An EXPAND that only grows axes after the input's last non-1 axis: (B,T,1) -> (B,T,C).

    Read in the kernel's loop order, its input element stays the same across the inner loops,
    so lowering computes it once (hoisted); any other expand would recompute it per element.
    """
    # EXERCISE 4.2: True when every axis the expand grows comes after every non-1 input axis
    src = u.src[0].shape
    grown = [i for i, (a, b) in enumerate(zip(src, u.shape)) if a != b]
    kept = [i for i, n in enumerate(src) if n != 1]
    return not kept or not grown or max(kept) < min(grown)
    # END EXERCISE


@dataclass
class FusionInfo:
    """What the fusion decisions know of a node (filled by realize_points' two passes)."""

    readers: int = 0  # index patterns it is read with (access_patterns)
    cost: int = 0  # ALU ops in its fused expression (capped), down to realized nodes
    reduces: bool = False  # its fused expression contains a reduction
    unhoisted: bool = False  # ... one read element for element: each reader redoes its loop
    kernels: int = 0  # kernels reading it (pass 2)
    broadcast: bool = False  # read through an expand that is not trailing (pass 2)
    padded: bool = False  # read through a PAD: its loops would run for the padding too (pass 2)


def access_patterns(node: UOp, users: dict) -> int:
    """How many different index patterns node is read with: all its elementwise readers share
    one (they read element i at i); each reduction brings its own, and a movement op brings
    the patterns of its own readers."""
    count, elementwise = 0, False
    for u in users[node]:
        if u.op in GroupOp.Movement:
            count += access_patterns(u, users)
        elif u.op is Ops.REDUCE_AXIS:
            count += 1
        else:
            elementwise = True
    return count + elementwise


# --8<-- [start:can_fuse]
def can_fuse(node: UOp, users: dict) -> tuple[bool, str]:
    """Legality: may node be computed inside the kernels that read it? (False, why) if not."""
    if node.op is Ops.CONTIGUOUS:
        return False, "contiguous() asks for a buffer"
    if node.op is Ops.EXTERN or any(u.op is Ops.EXTERN for u in users[node]):
        return False, "host call: its inputs and outputs are buffers"
    return True, ""


def score_fusion(node: UOp, info: FusionInfo) -> tuple[int, str]:
    """Profit: > 0 to fuse node into its readers. Fusing saves a store and a load per element;
    it costs the node's arithmetic again in every reader that recomputes it."""
    if info.readers > 1 and info.unhoisted:
        return -1, f"read in {info.readers} index patterns, each redoing its reduction"
    if info.broadcast and (info.cost > 2 or info.reduces):
        return -1, f"read through a broadcast and costs {info.cost} ops: store it once"
    if info.padded and info.unhoisted:
        return -1, "read through a pad: its reduction would also run where the pad reads zeros"
    if info.kernels > 1 and (info.cost > RECOMPUTE_LIMIT or info.reduces):
        return -1, f"read by {info.kernels} kernels and costs {info.cost} ops: store it once"
    return 1, ""
# --8<-- [end:can_fuse]


def realize_points(outputs: list[UOp]) -> dict[UOp, str]:
    """Every node that becomes a kernel output, with the reason."""
    return fusion_decisions(outputs)[0]


def fusion_decisions(outputs: list[UOp]) -> tuple[dict[UOp, str], dict[UOp, FusionInfo]]:
    """The realized nodes (with the reason) and what the decisions knew of every node.

    Pass 1 (operands first) measures each node's fused expression, cut at the realized nodes
    below it; pass 2 (readers first) adds what depends on the kernels above.
    """
    nodes = UOp(Ops.SINK, None, tuple(outputs)).toposort()[:-1]
    users: dict[UOp, list[UOp]] = {n: [] for n in nodes}
    for n in nodes:
        for s in n.src:
            users[s].append(n)
    realized = {o: "output" for o in outputs if o.op is not Ops.BUFFER}
    for n in nodes:
        if n.op is not Ops.BUFFER and n not in realized and (why := can_fuse(n, users)[1]):
            realized[n] = why
    for n in nodes:  # a library matmul reads its operands from memory (gemm.py)
        for base in gemm.operand_bases(n):
            if base.op not in (Ops.BUFFER, Ops.CONST) and base not in realized:
                realized[base] = "a library matmul reads it from memory"
    info = {n: FusionInfo() for n in nodes}
    leaf = (Ops.BUFFER, Ops.CONST)
    for n in nodes:  # pass 1
        fi, below = info[n], [info[s] for s in n.src if s not in realized and s.op not in leaf]
        fi.readers = access_patterns(n, users)
        is_alu = n.op in GroupOp.ALU or n.op is Ops.REDUCE_AXIS
        fi.cost = min(RECOMPUTE_LIMIT + 1, is_alu + sum(b.cost for b in below))
        fi.reduces = n.op is Ops.REDUCE_AXIS or any(b.reduces for b in below)
        fi.unhoisted = n.op is Ops.REDUCE_AXIS or any(
            info[s].unhoisted for s in n.src
            if s not in realized and s.op not in leaf and s.op is not Ops.EXPAND)
        if n not in realized and n.op not in leaf and n.op not in GroupOp.Movement:
            profit, why = score_fusion(n, fi)
            if profit <= 0:
                realized[n] = why
    kernels_of: dict[UOp, set[UOp]] = {}
    for n in reversed(nodes):  # pass 2
        if n.op in leaf:
            continue
        fi, kernels = info[n], set()
        for u in users[n]:
            kernels |= kernels_of[u]
            fi.broadcast |= (info[u].broadcast and u not in realized) or (
                u.op is Ops.EXPAND and not trailing_expand(u))
            fi.padded |= u.op is Ops.PAD or (info[u].padded and u not in realized and
                                               u.op in GroupOp.Movement)
        fi.kernels = len(kernels)
        if n not in realized and n.op not in GroupOp.Movement:
            profit, why = score_fusion(n, fi)
            if profit <= 0:
                realized[n] = why
        kernels_of[n] = {n} if n in realized else kernels
    refused_in_pass_2 = [n for n in nodes if realized.get(n, "").startswith("read by")]
    for n in refused_in_pass_2:  # pass 3: measured again, cut at what pass 2 realized below
        if cheap_over_realized(n, realized):
            del realized[n]  # a few ALU ops over buffers: each reader redoes them
    for n in nodes:
        if n in gemm.MATMULS and n not in realized and gemm.wants_library(*gemm.MATMULS[n]) \
                and reduced_in_its_kernel(n, users, realized):
            realized[n] = "a library matmul that a reduction of its kernel reads: stored once"
    return realized, info


def reduced_in_its_kernel(node: UOp, users: dict, realized: dict) -> bool:
    """Whether a reduction in the kernel that computes node reads it (a softmax's backward sums
    dP * P over a row, dP a matmul): in the epilogue of a library call that is a read at other
    elements than it writes, which lowering can only do by generating the matmul again."""
    stack, seen = list(users[node]), set()
    while stack:
        u = stack.pop()
        if u in seen or u in realized:
            continue
        seen.add(u)
        if u.op is Ops.REDUCE_AXIS:
            return True
        stack.extend(users[u])
    return False


def cheap_over_realized(node: UOp, realized: dict) -> bool:
    """Whether node's fused expression is only a few ALU ops over realized nodes, buffers and
    constants. Pass 1 measured it down to operands that pass 2 realized later (an activation
    read by two kernels: x * x seemed to cost the matmul below x)."""
    ops, stack, seen = 0, list(node.src), set()
    while stack:
        n = stack.pop()
        if n in seen or n in realized or n.op in (Ops.BUFFER, Ops.CONST):
            continue
        seen.add(n)
        if n.op not in GroupOp.ALU and n.op not in GroupOp.Movement:
            return False
        if n.op is Ops.PAD or (n.op is Ops.EXPAND and not trailing_expand(n)):
            return False
        ops += n.op in GroupOp.ALU
        stack.extend(n.src)
    return node.op in GroupOp.ALU and ops < CHEAP_OPS


# *** 2. grouping: each realized node with the graph above its inputs ***


def kernel_inputs(root: UOp, realized: dict, inside=()) -> tuple[UOp, ...]:
    """The realized nodes (and BUFFERs) root's kernel reads, in first-seen order; the realized
    nodes `inside` the kernel (its other members) are computed there, not read."""
    found, seen, stack = [], set(), list(reversed(root.src))
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n.op is Ops.BUFFER or (n in realized and n not in inside):
            found.append(n)
        else:
            stack.extend(reversed(n.src))
    return tuple(found)


# *** 3. multi-output kernels: realized nodes that share a loop nest share a kernel ***


def nested_in(small: tuple, big: tuple) -> bool:
    """Whether small is big with some trailing axes reduced to 1: (B, T, 1) in (B, T, C). In
    big's loops, small's element is then made once per iteration of the loops outside those."""
    if len(small) != len(big):
        return False
    j = next((i for i, (a, b) in enumerate(zip(small, big)) if a != b), len(big))
    return small[:j] == big[:j] and all(n == 1 for n in small[j:])


def loop_shape(shapes) -> tuple | None:
    """The one of shapes that all of them nest in (the loops of their shared kernel), if any."""
    big = max(shapes, key=math.prod)
    return big if all(nested_in(s, big) for s in shapes) else None


def aligned_read(reader: UOp, node: UOp, realized: dict) -> bool:
    """Whether reader's fused expression reads node only at node's own element, so that one
    computation of node serves its store and its reader. Followed axis by axis: each is "own"
    (the loop's index), 0 (after an expand over it) or "other" (a reduction's index); ALU ops
    keep the index, other movement ops lose track (not aligned)."""
    start = tuple("own" if n > 1 else 0 for n in reader.shape)
    stack, seen = [(reader, start)], set()
    while stack:
        n, axes = stack.pop()
        if (n, axes) in seen:
            continue
        seen.add((n, axes))
        for s in n.src:
            if n.op in GroupOp.ALU:
                below = axes
            elif n.op is Ops.EXPAND:
                below = tuple(0 if a != b else x for x, a, b in zip(axes, s.shape, n.shape))
            elif n.op is Ops.REDUCE_AXIS:
                below = tuple("other" if i in n.arg[1] and s.shape[i] > 1 else x
                              for i, x in enumerate(axes))
            else:
                below = None
            if s is node and below != tuple("own" if k > 1 else 0 for k in node.shape):
                return False
            if s not in realized and s.op not in (Ops.BUFFER, Ops.CONST):
                if below is None and node in fused_expression(s, realized):
                    return False
                if below is not None:
                    stack.append((s, below))
    return True


@dataclass
class KernelGraph:
    """The realized nodes as a graph of kernels: what each reads, and groups being merged."""

    order: list[UOp]  # realized nodes, operands first
    realized: dict[UOp, str]
    info: dict[UOp, FusionInfo]
    reads: dict[UOp, list[UOp]]  # realized node -> the realized nodes its kernel reads
    has_matmul: dict[UOp, bool]  # its fused expression holds a matmul
    group: dict[UOp, int]  # realized node -> its group's id
    members: dict[int, list[UOp]]  # group id -> its nodes

    def __post_init__(self):
        self.position = {n: i for i, n in enumerate(self.order)}
        self.readers: dict[UOp, list[UOp]] = {n: [] for n in self.order}
        for n in self.order:
            for x in self.reads[n]:
                self.readers[x].append(n)

    def deps(self, g: int) -> set[int]:
        return {self.group[x] for m in self.members[g] for x in self.reads[m]} - {g}

    def path_between(self, a: int, b: int) -> bool:
        """Whether a kernel outside groups a and b runs after one of them and before the other."""
        for start, goal in ((a, b), (b, a)):
            stack, seen = list(self.deps(start) - {goal}), set()
            while stack:
                g = stack.pop()
                if g == goal:
                    return True
                if g not in seen:
                    seen.add(g)
                    stack.extend(self.deps(g))
        return False


# --8<-- [start:can_share]
def can_share(k: KernelGraph, a: int, b: int) -> tuple[bool, str]:
    """Legality and profit of one kernel for groups a and b: (False, why) if not.

    Shared, each node's loads and arithmetic are done once for all its readers in the kernel,
    and it is stored only if a later kernel or the user reads it."""
    members = k.members[a] + k.members[b]
    if any(m.op in (Ops.CONTIGUOUS, Ops.EXTERN) or m.numel == 0 for m in members):
        return False, "contiguous(), a host call or an empty tensor: a kernel of its own"
    if any(k.has_matmul[m] for m in members):
        return False, "a matmul: its kernel is a library call with an epilogue, or loops of its own"
    if loop_shape([m.shape for m in members]) is None:
        return False, "no shared loop nest: the shapes differ in more than trailing 1s"
    for reader in members:
        for node in k.reads[reader]:
            if node in members and k.info[node].unhoisted and \
                    not aligned_read(reader, node, k.realized):
                return False, "a reduction read at other elements than its own would run twice"
    if k.path_between(a, b):
        return False, "another kernel must run after one and before the other"
    return True, ""
# --8<-- [end:can_share]


def fused_expression(node: UOp, realized: dict) -> list[UOp]:
    """The nodes node's kernel computes inline: down to realized nodes and buffers."""
    out, seen, stack = [], set(), [node]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        out.append(n)
        stack.extend(s for s in n.src if s not in realized and s.op is not Ops.BUFFER)
    return out


def kernel_graph(outputs: list[UOp]) -> KernelGraph:
    realized, info = fusion_decisions(outputs)
    order = [n for n in UOp(Ops.SINK, None, tuple(outputs)).toposort() if n in realized]
    reads = {n: [x for x in kernel_inputs(n, realized) if x in realized] for n in order}
    has_matmul = {n: any(u in gemm.MATMULS for u in fused_expression(n, realized))
                  for n in order}
    return KernelGraph(order, realized, info, reads, has_matmul,
                       {n: i for i, n in enumerate(order)}, {i: [n] for i, n in enumerate(order)})


def merge_groups(k: KernelGraph) -> None:
    """Producer into consumer first (a kernel and one it reads), then siblings of one loop
    shape that read the same input (a layer norm's dgamma and dbeta)."""
    def merge(a: int, b: int) -> None:
        if a != b and can_share(k, a, b)[0]:
            for m in k.members[b]:
                k.group[m] = a
            k.members[a] += k.members.pop(b)

    for node in k.order:
        for x in k.reads[node]:
            merge(k.group[x], k.group[node])
    readers: dict[UOp, list[UOp]] = {}
    for node in k.order:
        for x in kernel_inputs(node, k.realized):
            readers.setdefault(x, []).append(node)
    for group in readers.values():
        for a, b in zip(group, group[1:]):
            if a.shape == b.shape:
                merge(k.group[a], k.group[b])


def schedule_item(k: KernelGraph, g: int, keep: set[UOp]) -> ScheduleItem:
    """The kernel of group g: it stores the members that the user or another kernel reads."""
    members = sorted(k.members[g], key=k.position.__getitem__)
    stored = [m for m in members if m in keep or any(k.group[r] != g for r in k.readers[m])]
    stored = stored or members[-1:]
    shape = loop_shape([m.shape for m in stored])
    root = [m for m in stored if m.shape == shape][-1]
    inputs = dict.fromkeys(x for m in stored for x in kernel_inputs(m, k.realized, members))
    return ScheduleItem(root, tuple(inputs), k.realized[root],
                        tuple(m for m in stored if m is not root),
                        tuple(members) if len(members) > 1 else ())


# *** 4. order and memory plan ***


# --8<-- [start:schedule]
def create_schedule(outputs: list[UOp]) -> list[ScheduleItem]:
    """Kernels in dependency order (a topological order of the kernels' groups)."""
    k = kernel_graph(outputs)
    merge_groups(k)
    position = {g: min(k.position[m] for m in ms) for g, ms in k.members.items()}
    waiting = {g: k.deps(g) for g in k.members}
    ready = [(position[g], g) for g, d in waiting.items() if not d]
    heapq.heapify(ready)
    items = []
    while ready:
        _, g = heapq.heappop(ready)
        items.append(schedule_item(k, g, set(outputs)))
        for h, d in waiting.items():
            if g in d:
                d.discard(g)
                if not d:
                    heapq.heappush(ready, (position[h], h))
    return items
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
        for node in item.outputs:
            if node in keep or not free:
                slot_of[node] = len(set(slot_of.values()) | set(free))
            else:
                slot_of[node] = free.pop()
        for x in item.inputs:  # their last reader has run: their slots come free after it
            if last_use.get(x) == i and x in slot_of and x not in keep:
                free.append(slot_of[x])
        for node in item.outputs:
            if last_use.get(node) is None and node not in keep:
                free.append(slot_of[node])  # never read: its slot is free at once
    return slot_of
# --8<-- [end:memory_plan]
