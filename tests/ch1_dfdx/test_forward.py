"""Forward mode: dual numbers against reverse mode, and jvp / vjp against torch.func."""

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ch1_dfdx import Dual, Value, jvp, vjp

pytestmark = [pytest.mark.sec_1_5,
              # torch.func imports torch.jit, which warns that it is deprecated
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def curve(x, y):
    """R^2 -> R^3, written once for Values, Duals and tensors."""
    return (x * y).sin() + y, (x - 2.0 * y).exp(), (x * x + 1).log() / (y.tanh() + 2)


def test_dual_product_by_hand():
    # (3 + 1 eps)(4 + 0 eps) = 12 + 4 eps: d(xy)/dx = y at (3, 4).
    out = Dual(3.0, 1.0) * Dual(4.0, 0.0)
    assert (out.primal, out.tangent) == (12.0, 4.0)
    out = 2.0 * Dual(3.0, 1.0) - 1
    assert (out.primal, out.tangent) == (5.0, 2.0)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_forward_mode_matches_reverse_mode(data, program_strategy, input_strategy, run_program,
                                           close):
    # The i-th partial derivative two ways: one forward pass with tangent e_i, and the i-th
    # entry of one reverse pass. Neither is an oracle for the other's code.
    n = data.draw(st.integers(1, 3), label="inputs")
    program = data.draw(program_strategy(n), label="program")
    xs = data.draw(input_strategy(n), label="xs")
    leaves = [Value(x) for x in xs]
    out = run_program(program, leaves)
    assume(abs(out.data) < 1e8)
    out.backward()
    for i in range(n):
        basis = [1.0 if k == i else 0.0 for k in range(n)]
        value, tangent = jvp(lambda *d: run_program(program, d), xs, basis)
        assert close(value, out.data)
        assert close(tangent, leaves[i].grad), (i, tangent, leaves[i].grad)


def torch_curve(*t):
    return curve(*t)


def test_jvp_matches_torch_func_jvp(close):
    x, v = (0.3, -1.2), (0.7, 2.0)
    values, tangents = jvp(curve, x, v)
    t_values, t_tangents = torch.func.jvp(
        torch_curve, tuple(torch.tensor(a, dtype=torch.float64) for a in x),
        tuple(torch.tensor(a, dtype=torch.float64) for a in v))
    assert len(values) == len(tangents) == 3
    for ours, theirs in zip(values + tangents, t_values + t_tangents):
        assert close(ours, theirs.item())


def test_vjp_matches_torch_func_vjp(close):
    x, u = (0.3, -1.2), (1.5, -0.5, 2.0)
    values, cotangent = vjp(curve, x, u)
    t_values, vjp_fn = torch.func.vjp(torch_curve,
                                      *(torch.tensor(a, dtype=torch.float64) for a in x))
    t_cotangent = vjp_fn(tuple(torch.tensor(a, dtype=torch.float64) for a in u))
    for ours, theirs in zip(values + cotangent, t_values + t_cotangent):
        assert close(ours, theirs.item())


def test_jacobian_by_columns_equals_jacobian_by_rows(close):
    # n JVPs give J's columns, m VJPs give its rows: the same 3 x 2 matrix.
    x = (0.9, 0.4)
    columns = [jvp(curve, x, e)[1] for e in [(1.0, 0.0), (0.0, 1.0)]]
    rows = [vjp(curve, x, e)[1] for e in [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]]
    for i in range(3):
        for j in range(2):
            assert close(columns[j][i], rows[i][j])


def test_scalar_and_constant_outputs():
    assert jvp(lambda x: x * x, (3.0,), (1.0,)) == (9.0, 6.0)
    assert jvp(lambda x: (x, 5.0), (3.0,), (1.0,)) == ((3.0, 5.0), (1.0, 0.0))
    assert vjp(lambda x, y: x * y, (3.0, 4.0), (2.0,)) == (12.0, (8.0, 6.0))


def test_power_slope_at_zero():
    # x^0 is constant and x^1 the identity, at 0 as anywhere else; x^2 is flat at 0.
    for k, expected in ((0, (1.0, 0.0)), (1, (0.0, 1.0)), (2, (0.0, 0.0))):
        assert jvp(lambda x, k=k: x**k, (0.0,), (1.0,)) == expected, k
