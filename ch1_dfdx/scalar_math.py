"""Checked scalar math, shared by reverse mode (engine.py) and forward mode (forward.py).

Python's float functions raise OverflowError where PyTorch returns inf, and return or raise
inconsistently outside a function's domain. These helpers give one behaviour to both modes:
overflow gives inf as in PyTorch; a value outside the domain raises a named error (DomainError,
DivisionByZeroError), where PyTorch would return nan or -inf.
"""

import math
import numbers

from ch1_dfdx.errors import DivisionByZeroError, DomainError, OperandTypeError


def as_float(x, op: str) -> float:
    """x as a float, or OperandTypeError naming the operation x was given to."""
    if isinstance(x, numbers.Real):
        return float(x)
    raise OperandTypeError(f"unsupported operand type for {op}: {type(x).__name__!r} "
                           f"(expected a real number or a Value)")


def checked_pow(base: float, k: float) -> float:
    """base ** k where the result is a real number; overflow gives inf, as in PyTorch."""
    if base == 0.0 and k < 0:
        raise DivisionByZeroError(f"0.0 cannot be raised to a negative power ({k})")
    if base < 0.0 and not float(k).is_integer():
        raise DomainError(f"({base}) ** {k} is not a real number: "
                          "a negative base needs an integer exponent")
    try:
        return base**k
    except OverflowError:
        return -math.inf if base < 0 and k % 2 == 1 else math.inf


def checked_log(x: float) -> float:
    """The natural log of x > 0; DomainError otherwise (PyTorch would return nan or -inf)."""
    if x <= 0.0:
        raise DomainError(f"log is defined only for positive numbers, got {x}")
    return math.log(x)


def safe_exp(x: float) -> float:
    # math.exp raises past x = 709.78; PyTorch returns inf there, and so do we.
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def stable_sigmoid(x: float) -> float:
    # 1 / (1 + e^-x) overflows e^-x for very negative x; e^x / (1 + e^x) is the same number there.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# --8<-- [start:power_slope]
def power_slope(a, k: float):
    """k a^(k-1), the slope of a^k, for a float or a Value a (forward mode uses it too)."""
    a_data = getattr(a, "data", a)  # a Value's number, or the float itself
    if k == 0.0:
        return 0.0  # a^0 is constant, even at a = 0 where a^-1 is not defined
    if a_data == 0.0 and k < 1.0:
        # NOTE: PyTorch returns inf here; we raise, as the forward pass does for 0 ** -1.
        raise DivisionByZeroError(f"the slope of x ** {k:g} is infinite at x = 0, "
                                  "so x has no finite gradient there")
    return k * a ** (k - 1)
# --8<-- [end:power_slope]
