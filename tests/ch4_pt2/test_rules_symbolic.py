"""One test per symbolic rule (book 4.3): the rule fires (counted by name) and the rewritten
expression has the value of the original at every point of its ranges, evaluated with Python's
own operators. Constant folding is checked against numpy in the operands' dtype."""

import itertools

import numpy as np
import pytest

from ch2_lego.dtype import bool_, float32, int64
from ch4_pt2 import rewrite
from ch4_pt2.ops import Ops, UOp, index_dtype
from ch4_pt2.rewrite import graph_rewrite
from ch4_pt2.rules_symbolic import symbolic

pytestmark = pytest.mark.sec_4_3


def rng(name, n):
    return UOp(Ops.RANGE, index_dtype, (), (name, n))


R, S = rng("r", 12), rng("s", 4)
CASES = {  # rule name -> an expression it applies to
    "x+0": R + 0,
    "x-0": R - 0,
    "x*1": R * 1,
    "x/1": R // 1,
    "x*0": R * 0,
    "--x": UOp(Ops.NEG, int64, (UOp(Ops.NEG, int64, (R,)),)),
    "!!x": UOp(Ops.NOT, bool_, (UOp(Ops.NOT, bool_, (R.lt(5),)),)),
    "x-x": R - R,
    "where(c,x,x)": UOp(Ops.WHERE, int64, (R.lt(3), S, S)),
    "where(const)": UOp(Ops.WHERE, int64, (UOp.const(True, bool_), R, S)),
    "(x+c)+c2": (R + 3) + 4,
    "(x*c)*c2": (R * 3) * 4,
    "x%c->x": S % 4,
    "x//c->0": S // 4,
    "(x*c)//c2": (R * 8) // 4,
    "(x*c)%c2": (R * 8) % 4,
    "(x*c+y)//c2": (R * 4 + S) // 4,
    "(x*c+y)%c2": (R * 4 + S) % 4,
    "(x//c)//c2": (R // 2) // 3,
    "x<c by bounds": S.lt(4),
    "(x//c)*c+x%c": (R // 4) * 4 + R % 4,
    "(x//c)*ck+(x%c)*k": (R // 4) * 12 + (R % 4) * 3,
    "fold": UOp.const(6) * 7,
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule_fires_and_keeps_the_value(name, evaluate_ir):
    e = CASES[name]
    before = rewrite.rule_counts[name]
    out = graph_rewrite(e, symbolic)
    assert rewrite.rule_counts[name] > before, f"rule {name} did not fire"
    for i, j in itertools.product(range(12), range(4)):
        env = {"r": i, "s": j}
        assert evaluate_ir(out, env) == evaluate_ir(e, env)
    assert len(out.toposort()) < len(e.toposort())


def test_every_rule_has_a_case():
    assert {rule.name for rule in symbolic.rules} == set(CASES)


@pytest.mark.sec_4_3
def test_division_of_a_sum_by_hand():
    # (r*8 + s) // 4 = r*2 + s//4, and s//4 = 0 for s < 4
    assert graph_rewrite((R * 8 + S) // 4, symbolic) is R * 2
    assert graph_rewrite((R * 6 + S) // 3, symbolic) is R * 2 + S // 3
    assert graph_rewrite((R * 6 + S) // 4, symbolic) is (R * 6 + S) // 4  # 4 does not divide 6


def test_division_by_a_non_divisor_stays():
    e = (R * 3 + S) // 4  # 4 does not divide 3: no rule may touch it
    assert graph_rewrite(e, symbolic) is e


def test_float_times_zero_is_not_folded():
    x = UOp(Ops.LOAD, float32, (UOp(Ops.DEFINE_GLOBAL, float32, (), 1), R))
    e = x * UOp.const(0.0, float32)  # inf * 0 is nan, so x*0 -> 0 would be wrong
    assert graph_rewrite(e, symbolic) is e


@pytest.mark.parametrize("op, a, b", [(Ops.ADD, 0.1, 0.2), (Ops.MUL, 1e20, 1e20),
                                      (Ops.DIV, 1.0, 3.0), (Ops.MAX, -1.0, 2.5)])
def test_folding_rounds_like_float32(op, a, b):
    e = UOp(op, float32, (UOp.const(a, float32), UOp.const(b, float32)))
    with np.errstate(over="ignore"):  # 1e20 * 1e20 overflows float32 to inf, as it should
        want = {Ops.ADD: np.add, Ops.MUL: np.multiply, Ops.DIV: np.divide,
                Ops.MAX: np.maximum}[op](np.float32(a), np.float32(b))
    out = graph_rewrite(e, symbolic)
    assert out.op is Ops.CONST and np.float32(out.arg) == want


def test_folding_integer_division_floors_like_python():
    e = UOp.const(-7) // 2
    assert graph_rewrite(e, symbolic).arg == -7 // 2
    assert graph_rewrite(UOp.const(-7) % 2, symbolic).arg == -7 % 2
