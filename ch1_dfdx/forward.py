"""Forward-mode automatic differentiation with dual numbers.

A `Dual` carries a value and a tangent: how fast that value moves when the inputs move along one
chosen direction. Each operation updates both at once, so one evaluation of f on Duals yields
f(x) and the directional derivative J v, with no graph and no backward pass. Works on floats
only; for derivatives of derivatives use reverse mode with `create_graph=True`.
"""

import math
import numbers

from ch1_dfdx.errors import (
    DivisionByZeroError,
    DomainError,
    OperandTypeError,
    UnsupportedPowerError,
)
from ch1_dfdx.scalar_math import (
    as_float,
    checked_log,
    checked_pow,
    power_slope,
    safe_exp,
    stable_sigmoid,
)


def _lift(x, op: str) -> "Dual":
    """An operand as a Dual: a constant has tangent 0, it does not move with the inputs."""
    return x if isinstance(x, Dual) else Dual(as_float(x, op), 0.0)


# *** 1. the dual number and its primitive operations ***


# --8<-- [start:dual_init]
class Dual:
    """The number `primal + tangent * eps` with eps^2 = 0.

    Expanding f(a + a' eps) to first order gives f(a) + f'(a) a' eps, so evaluating f on a Dual
    returns f's value and its derivative along the tangent. The names follow
    `torch.autograd.forward_ad`, where a dual tensor unpacks into (primal, tangent).
    """

    __slots__ = ("primal", "tangent")

    def __init__(self, primal, tangent=0.0):
        for x in (primal, tangent):
            if not isinstance(x, numbers.Real):
                raise OperandTypeError(f"Dual() takes real numbers, got {type(x).__name__!r}")
        self.primal, self.tangent = float(primal), float(tangent)

    def __add__(self, other):
        other = _lift(other, "+")
        return Dual(self.primal + other.primal, self.tangent + other.tangent)
# --8<-- [end:dual_init]

    # --8<-- [start:dual_mul]
    def __mul__(self, other):
        other = _lift(other, "*")
        # EXERCISE 1.5: (a + da eps)(b + db eps) = ab + (da b + a db) eps, since eps^2 = 0
        return Dual(self.primal * other.primal,
                    self.tangent * other.primal + self.primal * other.tangent)
        # END EXERCISE
    # --8<-- [end:dual_mul]

    def __pow__(self, k):
        if isinstance(k, Dual):
            raise UnsupportedPowerError("x ** y with a Dual exponent y is not supported")
        k = as_float(k, "**")
        a = self.primal
        return Dual(checked_pow(a, k), power_slope(a, k) * self.tangent)

    def exp(self):
        e = safe_exp(self.primal)
        return Dual(e, e * self.tangent)

    def log(self):
        return Dual(checked_log(self.primal), self.tangent / self.primal)

    def tanh(self):
        t = math.tanh(self.primal)
        return Dual(t, (1.0 - t * t) * self.tangent)

    def sigmoid(self):
        s = stable_sigmoid(self.primal)
        return Dual(s, s * (1.0 - s) * self.tangent)

    def relu(self):
        return Dual(max(self.primal, 0.0), self.tangent if self.primal > 0 else 0.0)

    def sin(self):
        return Dual(math.sin(self.primal), math.cos(self.primal) * self.tangent)

    def cos(self):
        return Dual(math.cos(self.primal), -math.sin(self.primal) * self.tangent)

    def abs(self):
        sign = (self.primal > 0) - (self.primal < 0)
        return Dual(abs(self.primal), sign * self.tangent)

    # *** 2. derived operations, as in engine.Value ***

    def __neg__(self):  # -self
        return self * -1.0

    def __sub__(self, other):  # self - other
        return self + (-_lift(other, "-"))

    def __truediv__(self, other):  # self / other
        other = _lift(other, "/")
        if other.primal == 0.0:
            raise DivisionByZeroError(f"division by zero: {self.primal} / {other.primal}")
        return self * other**-1

    def __radd__(self, other):  # other + self
        return self + other

    def __rsub__(self, other):  # other - self
        return _lift(other, "-") + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __rtruediv__(self, other):  # other / self
        return _lift(other, "/") / self

    def __rpow__(self, base):  # base ** self = exp(self * log(base)), for base > 0
        base = _lift(base, "**")
        if base.primal <= 0.0:
            raise DomainError(f"({base.primal}) ** Dual is defined here only for a positive base")
        return (self * base.log()).exp()

    def sqrt(self):
        return self**0.5

    def __repr__(self):
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"
