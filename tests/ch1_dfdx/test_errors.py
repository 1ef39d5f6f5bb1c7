"""Bad input raises a named error that says what went wrong, and is still the builtin a Python
programmer would catch (ValueError, ZeroDivisionError, TypeError)."""

import pytest

from ch1_dfdx import (
    MLP,
    Dual,
    Value,
    grad,
    hvp,
    jvp,
    vjp,
)
from ch1_dfdx.errors import (
    DivisionByZeroError,
    DomainError,
    GradError,
    OperandTypeError,
    ShapeError,
    UnsupportedPowerError,
)

pytestmark = pytest.mark.sec_1_3

# (what, the failing call, error type, builtin it must also be, words in the message)
CASES = [
    ("log of zero", lambda: Value(0.0).log(), DomainError, ValueError, "log is defined only"),
    ("log of negative", lambda: Value(-2.0).log(), DomainError, ValueError, "got -2.0"),
    ("Dual log", lambda: Dual(-1.0, 1.0).log(), DomainError, ValueError, "positive"),
    ("Value / 0", lambda: Value(1.0) / 0, DivisionByZeroError, ZeroDivisionError,
     "division by zero"),
    ("number / Value(0)", lambda: 1.0 / Value(0.0), DivisionByZeroError, ZeroDivisionError,
     "division by zero"),
    ("Dual / 0", lambda: Dual(1.0) / 0.0, DivisionByZeroError, ZeroDivisionError,
     "division by zero"),
    ("0 ** negative", lambda: Value(0.0) ** -2, DivisionByZeroError, ZeroDivisionError,
     "negative power"),
    ("negative ** fraction", lambda: Value(-8.0) ** (1 / 3), DomainError, ValueError,
     "integer exponent"),
    ("number ** Value, base <= 0", lambda: (-2.0) ** Value(1.0), DomainError, ValueError,
     "positive base"),
    ("Value ** Value", lambda: Value(2.0) ** Value(3.0), UnsupportedPowerError, TypeError,
     "Value exponent"),
    ("Dual ** Dual", lambda: Dual(2.0) ** Dual(3.0), UnsupportedPowerError, TypeError,
     "Dual exponent"),
    ("Value + str", lambda: Value(1.0) + "a", OperandTypeError, TypeError, "'str'"),
    ("str * Value", lambda: "a" * Value(1.0), OperandTypeError, TypeError, "for *"),
    ("Value - None", lambda: Value(1.0) - None, OperandTypeError, TypeError, "'NoneType'"),
    ("Value ** complex", lambda: Value(1.0) ** 1j, OperandTypeError, TypeError, "'complex'"),
    ("Value(str)", lambda: Value("3"), OperandTypeError, TypeError, "Value() takes a real"),
    ("Value(Value)", lambda: Value(Value(1.0)), OperandTypeError, TypeError, "got 'Value'"),
    ("Dual(list)", lambda: Dual([1.0]), OperandTypeError, TypeError, "'list'"),
    ("backward of sqrt at 0", lambda: Value(0.0).sqrt().backward(), DivisionByZeroError,
     ZeroDivisionError, "infinite at x = 0"),
    ("Dual sqrt at 0", lambda: Dual(0.0, 1.0).sqrt(), DivisionByZeroError, ZeroDivisionError,
     "infinite at x = 0"),
    ("backward(str)", lambda: Value(2.0).backward("1"), OperandTypeError, TypeError,
     "backward's gradient"),
    ("grad(f)(str)", lambda: grad(lambda x: x)("1"), OperandTypeError, TypeError, "for grad"),
    ("grad of a float", lambda: grad(lambda x: 3.0)(1.0), GradError, RuntimeError,
     "must return a Value"),
    ("grad of two outputs", lambda: grad(lambda x: (x, x))(1.0), GradError, RuntimeError,
     "use vjp"),
    ("hvp of a float", lambda: hvp(lambda x: 1.0, (1.0,), (1.0,)), GradError, RuntimeError,
     "must return a Value"),
    ("jvp of a str", lambda: jvp(lambda x: (x, "y"), (1.0,), (1.0,)), GradError, RuntimeError,
     "jvp: f must return Duals or numbers, got str"),
    ("vjp of None", lambda: vjp(lambda x: None, (1.0,), (1.0,)), GradError, RuntimeError,
     "vjp: f must return Values or numbers, got NoneType"),
    ("jvp lengths", lambda: jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,)), ShapeError,
     ValueError, "2 primals but 1 tangents"),
    ("vjp lengths", lambda: vjp(lambda x: (x, x), (1.0,), (1.0,)), ShapeError, ValueError,
     "2 outputs of f but 1 cotangents"),
    ("MLP input size", lambda: MLP(2, [3, 1])([1.0, 2.0, 3.0]), ShapeError, ValueError,
     "expects 2 inputs, got 3"),
]


@pytest.mark.parametrize("what, call, error, builtin, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_a_named_error(what, call, error, builtin, words):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, builtin)
    assert words in str(info.value), str(info.value)
