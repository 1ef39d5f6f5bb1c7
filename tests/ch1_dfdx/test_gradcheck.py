"""Numerical gradient checking: the central difference against hand-derived values, and
gradcheck passing on every operation and catching a wrong derivative rule."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ch1_dfdx import GradcheckError, Value, central_difference, gradcheck
from ch1_dfdx.gradcheck import numerical_gradient

pytestmark = pytest.mark.sec_1_7


def test_central_difference_error_is_exactly_h_squared_for_a_cube():
    # ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2: the error term h^2 f'''/6 with f''' = 6.
    h = 1e-2
    estimate = central_difference(lambda x: x**3, 2.0, eps=h)
    assert math.isclose(estimate, 12.0 + h * h, rel_tol=1e-9)


def test_central_difference_picks_the_argument():
    f = lambda x, y: x * x * y  # noqa: E731  d/dx = 2xy = -12, d/dy = x^2 = 9
    assert math.isclose(central_difference(f, 3.0, -2.0, arg=0), -12.0, rel_tol=1e-7)
    assert math.isclose(central_difference(f, 3.0, -2.0, arg=1), 9.0, rel_tol=1e-7)
    assert numerical_gradient(lambda x: x.sin(), 0.0) == pytest.approx((1.0,), rel=1e-9)


OPS = {
    "tanh": lambda a, b: a.tanh() * b,
    "sigmoid": lambda a, b: (a * b).sigmoid(),
    "exp log": lambda a, b: (a.exp() + b * b).log(),
    "sin cos": lambda a, b: a.sin() * b.cos(),
    "div pow": lambda a, b: a / (b * b + 1) + (a * a + 1) ** -0.5,
    "relu abs": lambda a, b: (a - 3.0).relu() + (b + 3.0).abs(),
    "rpow": lambda a, b: 1.5**a * b,
}


@settings(max_examples=25, deadline=None)
@given(a=st.floats(-2.0, 2.0), b=st.floats(-2.0, 2.0), name=st.sampled_from(sorted(OPS)))
def test_gradcheck_passes_on_every_operation(a, b, name):
    # relu and abs are shifted so that their kinks lie outside [-2, 2].
    assert gradcheck(OPS[name], (a, b))


def wrong_sin(a: Value) -> Value:
    # sin whose rule has the wrong sign: d(sin a) = cos(a) da, and this rule says -cos(a) da
    return Value(math.sin(a.data), (a,), "badsin", lambda g, out, x: (-g * math.cos(x),))


def test_gradcheck_catches_a_wrong_rule():
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(lambda x, y: x * wrong_sin(y), (0.5, 0.3))
    assert gradcheck(lambda x, y: x * wrong_sin(y), (0.5, 0.3), raise_exception=False) is False
    assert gradcheck(lambda x, y: x * y.sin(), (0.5, 0.3))
