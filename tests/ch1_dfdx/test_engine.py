"""Reverse mode: each operation and random expression graphs against torch in float64, the
topological order, gradient accumulation, and a chain far deeper than Python's recursion limit."""

import math
import sys
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ch1_dfdx.engine import Value, gradients, reverse_topological_order
from ch1_dfdx.nn import MLP

# *** 1. one operation at a time (section 1.3) ***

# (name, function on Values and tensors alike, points inside its domain)
UNARY_CASES = [
    ("neg", lambda a: -a, [-1.5, 0.3]),
    ("exp", lambda a: a.exp(), [-2.0, 0.0, 1.7]),
    ("log", lambda a: a.log(), [0.1, 1.0, 7.5]),
    ("tanh", lambda a: a.tanh(), [-3.0, 0.0, 0.4]),
    ("sigmoid", lambda a: a.sigmoid(), [-40.0, -1.0, 0.0, 2.5, 40.0]),
    ("relu", lambda a: a.relu(), [-1.0, 0.0, 2.0]),
    ("abs", lambda a: a.abs(), [-1.0, 0.0, 2.0]),
    ("sin", lambda a: a.sin(), [-2.0, 0.5]),
    ("cos", lambda a: a.cos(), [-2.0, 0.5]),
    ("square", lambda a: a**2, [-1.5, 0.0, 3.0]),
    ("pow -1.5", lambda a: a**-1.5, [0.5, 2.0]),
    ("cube of negative", lambda a: a**3, [-2.0]),
    ("sqrt", lambda a: a.sqrt(), [0.25, 9.0]),
    ("number + a", lambda a: 2.0 + a, [1.0]),
    ("number - a", lambda a: 2.0 - a, [1.0]),
    ("a - number", lambda a: a - 2.0, [1.0]),
    ("number * a", lambda a: 3 * a, [1.0]),
    ("number / a", lambda a: 3.0 / a, [-0.7, 2.0]),
    ("a / number", lambda a: a / 4, [-0.7]),
    ("number ** a", lambda a: 2.5**a, [-1.0, 1.3]),
]
BINARY_CASES = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
]


@pytest.mark.sec_1_3
@pytest.mark.parametrize("name, f, points", UNARY_CASES, ids=[c[0] for c in UNARY_CASES])
def test_unary_value_and_grad_match_torch(name, f, points, torch_value_and_grad, close):
    for x in points:
        a = Value(x)
        out = f(a)
        out.backward()
        expected, (dx,) = torch_value_and_grad(f, [x])
        assert close(out.data, expected) and close(a.grad, dx), (name, x, out, a.grad, dx)


@pytest.mark.sec_1_3
@pytest.mark.parametrize("name, f", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_value_and_grads_match_torch(name, f, torch_value_and_grad, close):
    a, b = Value(1.25), Value(-0.8)
    out = f(a, b)
    out.backward()
    expected, (da, db) = torch_value_and_grad(f, [1.25, -0.8])
    assert close(out.data, expected) and close(a.grad, da) and close(b.grad, db)


@pytest.mark.sec_1_3
def test_product_rule_by_hand():
    # d(ab)/da = b, d(ab)/db = a: the first rule of the chapter, checked without any oracle.
    a, b = Value(3.0), Value(-4.0)
    (a * b).backward()
    assert (a.grad, b.grad) == (-4.0, 3.0)


@pytest.mark.sec_1_3
def test_any_real_number_is_an_operand():
    x = Value(np.float32(1.5)) * np.int64(2) + True - Fraction(1, 2)
    assert isinstance(x.data, float) and x.data == 3.5 and float(x) == 3.5


@pytest.mark.sec_1_3
def test_power_slope_at_zero():
    # d(x^0)/dx = 0 and d(x^1)/dx = 1 everywhere, 0 included (PyTorch agrees); d(x^2)/dx = 0 at 0.
    for k, slope in ((0, 0.0), (1, 1.0), (2, 0.0)):
        x = Value(0.0)
        (x**k).backward()
        assert x.grad == slope, (k, x.grad)


@pytest.mark.sec_1_3
def test_exp_and_sigmoid_do_not_overflow():
    assert Value(800.0).exp().data == math.inf
    assert Value(-800.0).sigmoid().data == 0.0 and Value(800.0).sigmoid().data == 1.0


# *** 2. random expression graphs against torch (section 1.3) ***


@pytest.mark.sec_1_3
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_graphs_match_torch(data, program_strategy, input_strategy, run_program,
                                   torch_value_and_grad, close):
    n = data.draw(st.integers(1, 3), label="inputs")
    program = data.draw(program_strategy(n), label="program")
    xs = data.draw(input_strategy(n), label="xs")
    leaves = [Value(x) for x in xs]
    out = run_program(program, leaves)
    assume(abs(out.data) < 1e8)
    out.backward()
    expected, dxs = torch_value_and_grad(lambda *t: run_program(program, t), xs)
    assert close(out.data, expected)
    for leaf, dx in zip(leaves, dxs):
        assert close(leaf.grad, dx), (leaf.grad, dx)


# *** 3. the order of the backward pass (section 1.3) ***


@pytest.mark.sec_1_3
def test_every_node_comes_before_its_inputs():
    x, y = Value(1.0), Value(2.0)
    a = x * y
    b = a + x
    out = (a * b).tanh()
    order = reverse_topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    assert order[0] is out and len(order) == 6  # x, y, a, b, a * b, out
    for node in order:
        for inp in node._prev:
            assert position[node] < position[inp]


@pytest.mark.sec_1_3
def test_million_node_chain_needs_no_recursion():
    # y = x + w + w + ... + w with n additions: dy/dx = 1 and dy/dw = n, exactly in floats.
    # Pin Python's default limit: another test in this process may have raised it.
    n, limit = 1_000_000, sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        x, w = Value(0.5), Value(1e-6)
        y = x
        for _ in range(n):
            y = y + w
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad == 1.0 and w.grad == float(n)


# *** 4. accumulation (section 1.4) ***


@pytest.mark.sec_1_4
def test_diamond_adds_the_two_paths():
    # y = (3x)(x + 2): two paths from x to y; dy/dx = 3(x + 2) + 3x = 6x + 6 = 18 at x = 2.
    x = Value(2.0)
    left, right = x * 3, x + 2
    (left * right).backward()
    assert x.grad == 18.0


@pytest.mark.sec_1_4
def test_a_value_used_many_times():
    # y = x + x + ... (k uses) + x * x: dy/dx = k + 2x.
    x = Value(1.5)
    y = x * x
    for _ in range(7):
        y = y + x
    y.backward()
    assert x.grad == 7 + 2 * 1.5


@pytest.mark.sec_1_4
def test_second_backward_adds_and_zero_grad_clears():
    model = MLP(3, [4, 1], seed=1)
    loss = (model([0.5, -1.0, 2.0])[0] - 1.0) ** 2
    loss.backward()
    first = [p.grad for p in model.parameters()]
    # A second backward over the same graph adds the same grads again: each leaf doubles, and
    # the interior nodes' grads from the first call do not leak into the second sweep.
    loss.backward()
    assert [p.grad for p in model.parameters()] == [2 * g for g in first]
    assert any(g != 0.0 for g in first)
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    loss.backward()
    assert [p.grad for p in model.parameters()] == first


@pytest.mark.sec_1_4
def test_accumulation_matches_torch_over_two_losses(torch_value_and_grad, close):
    # Two backward calls on two losses leave the sum of both gradients, as in torch.
    x = Value(0.7)
    (x * x).backward()
    x.sin().backward()
    t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    (t * t).backward()
    t.sin().backward()
    assert close(x.grad, t.grad.item())


@pytest.mark.sec_1_4
def test_gradients_leaves_grad_untouched():
    x = Value(3.0)
    y = x * x
    dall = gradients(y)
    assert dall[x] == 6.0 and dall[y] == 1.0 and x.grad == 0.0
