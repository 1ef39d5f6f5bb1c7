"""Rewrites as data: patterns over UOps, named rules, and the driver that applies them.

A `Rule(name, pattern, fn)` says "where `pattern` matches, replace the node by `fn(**captures)`"
(`fn` returns None to decline). A `PatternMatcher` holds a list of rules; `graph_rewrite` applies
one to every node of a graph, bottom-up, until no rule fires. Captures bind by name, and the
matcher checks when it is built that every rule's function takes exactly its pattern's names.
"""

from __future__ import annotations

import inspect
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ch4_pt2.ops import GroupOp, Ops, UOp

DEBUG = int(os.getenv("DEBUG", "0"))
rule_counts: Counter = Counter()  # how often each rule fired, by name (tests and the book read it)


# *** 1. patterns ***


# --8<-- [start:upat]
class UPat:
    """Matches a UOp whose op (an Ops or a set), dtype, arg and operands (patterns, in order;
    either order for a commutative op) all match, None matching anything; `name` binds it."""

    def __init__(self, op=None, dtype=None, src=None, arg=None, name: str | None = None):
        self.op = None if op is None else (frozenset(op) if isinstance(op, (set, frozenset))
                                           else frozenset({op}))
        self.dtype, self.src, self.arg, self.name = dtype, src, arg, name

    @staticmethod
    def var(name: str, dtype=None) -> UPat:
        return UPat(name=name, dtype=dtype)

    @staticmethod
    def cvar(name: str) -> UPat:
        return UPat(Ops.CONST, name=name)

    def names(self) -> set[str]:
        return ({self.name} if self.name else set()).union(*(s.names() for s in self.src or ()))

    def match(self, u: UOp, bound: dict) -> bool:
        """Match u, adding captures to `bound`; a name seen twice must bind the same node."""
        if self.op is not None and u.op not in self.op:
            return False
        if self.dtype is not None and u.dtype is not self.dtype:
            return False
        if self.arg is not None and u.arg != self.arg:
            return False
        if self.name is not None:
            if self.name in bound and bound[self.name] is not u:
                return False
            bound[self.name] = u
        if self.src is None:
            return True
        if len(self.src) != len(u.src):
            return False
        orders = [u.src]
        if u.op in GroupOp.Commutative and len(u.src) == 2:
            orders.append(u.src[::-1])
        for srcs in orders:
            trial = dict(bound)
            if all(p.match(s, trial) for p, s in zip(self.src, srcs)):
                bound.update(trial)
                return True
        return False
# --8<-- [end:upat]


# *** 2. rules and matchers ***


# --8<-- [start:rule]
@dataclass(frozen=True)
class Rule:
    """`name` for DEBUG output; `fn(**captures)` returns the replacement or None."""

    name: str
    pattern: UPat
    fn: Callable


class PatternMatcher:
    """An ordered list of rules; the first one whose pattern matches and whose fn accepts wins."""

    def __init__(self, rules: list[Rule]):
        for rule in rules:  # checked bindings: fn's parameters are exactly the pattern's names
            params = set(inspect.signature(rule.fn).parameters)
            if params != rule.pattern.names():
                raise TypeError(f"rule {rule.name!r}: fn takes {sorted(params)} but the pattern "
                                f"binds {sorted(rule.pattern.names())}")
        self.rules = rules

    def __add__(self, other: PatternMatcher) -> PatternMatcher:
        return PatternMatcher(self.rules + other.rules)

    def rewrite(self, u: UOp):
        """The first rule's replacement for u, or None if no rule fires."""
        for rule in self.rules:
            bound: dict = {}
            if rule.pattern.match(u, bound) and (out := rule.fn(**bound)) is not None:
                rule_counts[rule.name] += 1
                if DEBUG >= 2:
                    print(f"rule {rule.name}: {u.op.name} -> {getattr(out, 'op', out)}")
                return out
        return None
# --8<-- [end:rule]


# *** 3. the driver ***


# --8<-- [start:graph_rewrite]
def graph_rewrite(root: UOp, pm: PatternMatcher) -> UOp:
    """Rewrite every node reachable from root, operands first, until no rule matches.

    Iterative (a training graph is thousands of nodes deep); `done` maps each node to its
    rewritten form, so a shared subgraph is rewritten once.
    """
    done: dict[UOp, UOp] = {}
    replaced_by: dict[UOp, UOp] = {}  # node -> the replacement whose result it waits for
    stack = [root]
    while stack:
        node = stack[-1]
        if node in done:
            stack.pop()
        elif node in replaced_by:  # its replacement is rewritten by now
            done[node] = done[replaced_by[node]]
            stack.pop()
        elif waiting := [s for s in node.src if s not in done]:
            stack.extend(waiting)
        else:
            new = node
            if any(done[s] is not s for s in node.src):
                new = UOp(node.op, node.dtype, tuple(done[s] for s in node.src), node.arg)
            out = pm.rewrite(new)
            if out is None or out is new:
                done[node] = done[new] = new
                stack.pop()
            else:
                replaced_by[node] = out
                stack.append(out)
    return done[root]
# --8<-- [end:graph_rewrite]
