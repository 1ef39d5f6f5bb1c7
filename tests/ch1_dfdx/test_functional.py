"""grad of functions of several scalars, and higher order: grad(grad(f)), backward with
create_graph=True and Hessian-vector products, against torch's create_graph=True in float64."""

import math

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ch1_dfdx import Value, grad, hvp


def t64(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


@pytest.mark.sec_1_5
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_grad_of_several_scalars_matches_torch(data, program_strategy, input_strategy,
                                               run_program, torch_value_and_grad, close):
    program = data.draw(program_strategy(3), label="program")
    xs = data.draw(input_strategy(3), label="xs")
    value, expected = torch_value_and_grad(lambda *t: run_program(program, t), xs)
    assume(abs(value) < 1e8)
    ours = grad(lambda *v: run_program(program, v))(*xs)
    assert all(close(a, b) for a, b in zip(ours, expected)), (ours, expected)


@pytest.mark.sec_1_5
def test_grad_of_one_argument_returns_a_float():
    assert grad(lambda x: x**3)(2.0) == 12.0
    assert grad(lambda x, y: x * 2.0)(1.0, 5.0) == (2.0, 0.0)  # y unused: its partial is 0


@pytest.mark.sec_1_6
def test_derivatives_of_x4_by_hand():
    # x^4 -> 4x^3 -> 12x^2 -> 24x -> 24, at x = 1.5.
    f = lambda x: x**4  # noqa: E731
    assert grad(f)(1.5) == 4 * 1.5**3
    assert grad(grad(f))(1.5) == 12 * 1.5**2
    assert grad(grad(grad(f)))(1.5) == 24 * 1.5
    assert grad(grad(grad(grad(f))))(1.5) == 24.0


@pytest.mark.sec_1_6
def test_grad_inside_grad_over_a_closure():
    # The inner grad gets a float, but its f closes over the outer x, so its result must stay
    # differentiable: d/dx [d/dy sin(xy) at y = 1/2] = d/dx [x cos(x/2)] = cos(x/2) - x/2 sin(x/2).
    x = 1.3
    inner = lambda x: grad(lambda y: (x * y).sin())(0.5)  # noqa: E731
    expected = math.cos(x / 2) - x / 2 * math.sin(x / 2)
    assert math.isclose(grad(inner)(x), expected, rel_tol=1e-12)
    assert grad(lambda x: grad(lambda y: x * y)(1.0))(3.0) == 1.0
    assert grad(lambda y: y * y)(3.0) == 6.0  # and outside any grad, floats again


@pytest.mark.sec_1_6
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_second_derivative_matches_torch_create_graph(data, program_strategy, input_strategy,
                                                      run_program, close):
    program = data.draw(program_strategy(1), label="program")
    (x,) = data.draw(input_strategy(1), label="x")
    f = lambda v: run_program(program, [v])  # noqa: E731
    t = t64(x)
    out = f(t)
    assume(abs(out.item()) < 1e8)
    (dt,) = torch.autograd.grad(out, t, create_graph=True)
    if not dt.requires_grad:  # f is linear in x: torch's first derivative has no graph
        expected = 0.0
    else:
        (ddt,) = torch.autograd.grad(dt, t, allow_unused=True)
        expected = 0.0 if ddt is None else ddt.item()
    assert close(grad(f)(x), dt.item())
    assert close(grad(grad(f))(x), expected), (grad(grad(f))(x), expected)


@pytest.mark.sec_1_6
def test_mixed_partial_matches_torch(close):
    f = lambda x, y: (x * y).sin() * y + (x / (y * y + 1)).exp()  # noqa: E731
    d2f_dydx = grad(lambda x, y: grad(f)(x, y)[0])(0.4, -0.9)[1]
    tx, ty = t64(0.4), t64(-0.9)
    (dx,) = torch.autograd.grad(f(tx, ty), tx, create_graph=True)
    (dxy,) = torch.autograd.grad(dx, ty)
    assert close(d2f_dydx, dxy.item())


@pytest.mark.sec_1_6
# torch warns of the cycle x -> x.grad -> graph -> x; we break it by resetting x.grad below
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_with_create_graph_makes_grad_a_value(close):
    x = Value(0.8)
    (x.tanh() * x).backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value)
    x.grad = 0.0
    first.backward()
    t = t64(0.8)
    (t.tanh() * t).backward(create_graph=True)
    t_first = t.grad
    t.grad = None
    t_first.backward()
    assert close(first.data, t_first.item()) and close(x.grad, t.grad.item())


@pytest.mark.sec_1_6
def test_hvp_by_hand():
    # f = x^2 y has H = [[2y, 2x], [2x, 0]]; at (3, 2), H (1, -1) = (2y - 2x, 2x) = (-2, 6).
    assert hvp(lambda x, y: x * x * y, (3.0, 2.0), (1.0, -1.0)) == (18.0, (-2.0, 6.0))


@pytest.mark.sec_1_6
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hvp_matches_torch(data, program_strategy, input_strategy, run_program, close):
    program = data.draw(program_strategy(2), label="program")
    xs = data.draw(input_strategy(2), label="xs")
    v = data.draw(input_strategy(2), label="v")
    f = lambda *a: run_program(program, a)  # noqa: E731
    t_out, t_hv = torch.autograd.functional.hvp(
        lambda a: f(a[0], a[1]), torch.tensor(xs, dtype=torch.float64),
        torch.tensor(v, dtype=torch.float64))
    assume(abs(t_out.item()) < 1e8)
    value, hv = hvp(f, xs, v)
    assert close(value, t_out.item())
    assert all(close(a, b.item()) for a, b in zip(hv, t_hv)), (hv, t_hv)
