"""The pattern matcher (book 4.3): matching, captures bound by name and checked, commutative
operands, and the driver rewriting a whole graph to a fixed point."""

import pytest

from ch2_lego.dtype import int64
from ch4_pt2.ops import Ops, UOp, index_dtype
from ch4_pt2.rewrite import PatternMatcher, Rule, UPat, graph_rewrite

pytestmark = pytest.mark.sec_4_3


def r(name="r", n=8):
    return UOp(Ops.RANGE, index_dtype, (), (name, n))


def test_a_pattern_binds_its_names():
    pat = UPat(Ops.ADD, src=(UPat.var("x"), UPat.cvar("c")))
    e = r() + 3
    bound = {}
    assert pat.match(e, bound)
    assert bound["x"] is r() and bound["c"].arg == 3


def test_commutative_ops_match_either_order():
    pat = UPat(Ops.ADD, src=(UPat.var("x"), UPat.cvar("c")))
    e = UOp(Ops.ADD, int64, (UOp.const(3), r()))
    bound = {}
    assert pat.match(e, bound) and bound["x"] is r()
    sub = UOp(Ops.SUB, int64, (UOp.const(3), r()))
    assert not UPat(Ops.SUB, src=(UPat.var("x"), UPat.cvar("c"))).match(sub, {})


def test_a_name_used_twice_must_bind_the_same_node():
    pat = UPat(Ops.SUB, src=(UPat.var("x"), UPat.var("x")))
    assert pat.match(r() - r(), {})
    assert not pat.match(r("a") - r("b"), {})


def test_rule_functions_must_take_the_pattern_names():
    with pytest.raises(TypeError, match="rule 'bad'"):
        PatternMatcher([Rule("bad", UPat(Ops.ADD, src=(UPat.var("x"), UPat.var("y"))),
                             lambda x: x)])


def test_graph_rewrite_reaches_a_fixed_point():
    # x + 1 -> x, applied bottom-up: ((r+1)+1)+1 needs three rewrites
    pm = PatternMatcher([Rule("drop+1", UPat(Ops.ADD, src=(UPat.var("x"),
                                                            UPat(Ops.CONST, arg=1))),
                              lambda x: x)])
    e = UOp(Ops.ADD, int64, (UOp(Ops.ADD, int64, (UOp(Ops.ADD, int64, (r(), UOp.const(1))),
                                                  UOp.const(1))), UOp.const(1)))
    assert graph_rewrite(e, pm) is r()


def test_a_rule_may_decline():
    pm = PatternMatcher([Rule("never", UPat(Ops.ADD, name="u"), lambda u: None)])
    e = r() + 2
    assert graph_rewrite(e, pm) is e


def test_rewrites_inside_a_replacement_are_applied_too():
    # a -> b rewrites, and b's operand then needs a rewrite of its own
    pm = PatternMatcher([
        Rule("neg->sub", UPat(Ops.NEG, src=(UPat.var("x"),)), lambda x: UOp.const(0) - x),
        Rule("0-c", UPat(Ops.SUB, src=(UPat(Ops.CONST, arg=0), UPat.cvar("c"))),
             lambda c: UOp.const(-c.arg)),
    ])
    assert graph_rewrite(UOp(Ops.NEG, int64, (UOp.const(5),)), pm) is UOp.const(-5)
