"""Reverse-mode automatic differentiation on scalars: the `Value`.

A Value holds one float, `data`, and remembers the Values it was computed from. `backward()`
walks that graph from the output back to the inputs and adds d(output)/d(node) to every node's
`grad`. With `create_graph=True` the backward pass is itself built of Values, so a gradient can be
differentiated again. Scalars only: tensors are chapter 2.
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

# *** 1. helpers for the backward rules ***

# The backward rules run on floats (plain backward) and on Values (create_graph=True).
# These helpers pick the float or the Value version of what a rule needs.


# --8<-- [start:rule_helpers]
def _data(x) -> float:
    return x.data if isinstance(x, Value) else x


def _sin(x):
    return x.sin() if isinstance(x, Value) else math.sin(x)


def _cos(x):
    return x.cos() if isinstance(x, Value) else math.cos(x)


def _lift(x, op: str) -> "Value":
    """An operand as a Value: a Value as is, a number as a new constant leaf."""
    return x if isinstance(x, Value) else Value(as_float(x, op))
# --8<-- [end:rule_helpers]


# *** 2. the Value: primitive operations, each with its derivative rule ***


# --8<-- [start:value_init]
class Value:
    """A scalar node of a computation graph: its number `data` and its gradient `grad`.

    Every operation returns a new Value whose `_backward` rule maps the gradient of the output
    to one gradient per input: `_backward(dout, out, *inputs) -> (dinput, ...)`. The rules are
    written with + - * / and the methods below, so the same rule runs on floats and on Values.
    Values hash and compare by identity, so they can be dict keys (as torch tensors can).
    """

    __slots__ = ("data", "grad", "_prev", "_op", "_backward")

    def __init__(self, data, _prev: tuple = (), _op: str = "", _backward=None):
        if type(data) is not float:  # the fast path: every operation passes a float
            if not isinstance(data, numbers.Real):
                raise OperandTypeError(f"Value() takes a real number, got {type(data).__name__!r}")
            data = float(data)
        self.data = data
        self.grad = 0.0  # d(root)/d(self), summed over every backward() since the last reset
        self._prev = _prev  # the Values this one was computed from, one entry per use
        self._op = _op  # the operation's symbol, for drawings and debugging
        self._backward = _backward  # None for a leaf: an input or a constant
# --8<-- [end:value_init]

    # --8<-- [start:value_add]
    def __add__(self, other):
        other = _lift(other, "+")
        # d(a + b) = da + db: the gradient reaches both inputs unchanged
        return Value(self.data + other.data, (self, other), "+", lambda g, out, a, b: (g, g))
    # --8<-- [end:value_add]

    # --8<-- [start:value_mul]
    def __mul__(self, other):
        other = _lift(other, "*")
        # EXERCISE 1.1: forward a * b; its rule is the product rule d(a*b) = b da + a db
        return Value(self.data * other.data, (self, other), "*",
                     lambda g, out, a, b: (g * b, g * a))
        # END EXERCISE
    # --8<-- [end:value_mul]

    # --8<-- [start:value_pow]
    def __pow__(self, k):
        if isinstance(k, Value):
            raise UnsupportedPowerError(
                "x ** y with a Value exponent y is not supported: the engine has a rule only "
                "for constant exponents; for x > 0 write (y * x.log()).exp()")
        k = as_float(k, "**")
        # d(a^k) = k a^(k-1) da
        return Value(checked_pow(self.data, k), (self,), f"**{k:g}",
                     lambda g, out, a: (g * power_slope(a, k),))
    # --8<-- [end:value_pow]

    # --8<-- [start:value_exp_log]
    def exp(self):
        # d(e^a) = e^a da: the rule reuses the output
        return Value(safe_exp(self.data), (self,), "exp", lambda g, out, a: (g * out,))

    def log(self):
        # d(log a) = da / a
        return Value(checked_log(self.data), (self,), "log", lambda g, out, a: (g / a,))
    # --8<-- [end:value_exp_log]

    # --8<-- [start:value_tanh]
    def tanh(self):
        # EXERCISE 1.2: forward tanh(a); its rule d(tanh a) = (1 - tanh(a)^2) da reuses the output
        return Value(math.tanh(self.data), (self,), "tanh",
                     lambda g, out, a: (g * (1 - out * out),))
        # END EXERCISE
    # --8<-- [end:value_tanh]

    # --8<-- [start:value_more_rules]
    def sigmoid(self):
        # d(s(a)) = s(a) (1 - s(a)) da
        return Value(stable_sigmoid(self.data), (self,), "sigmoid",
                     lambda g, out, a: (g * out * (1 - out),))

    def relu(self):
        # d(max(a, 0)) = [a > 0] da; at a = 0 we take 0, as PyTorch does
        return Value(max(self.data, 0.0), (self,), "relu",
                     lambda g, out, a: (g * (1.0 if _data(a) > 0 else 0.0),))

    def sin(self):
        # d(sin a) = cos(a) da
        return Value(math.sin(self.data), (self,), "sin", lambda g, out, a: (g * _cos(a),))

    def cos(self):
        # d(cos a) = -sin(a) da
        return Value(math.cos(self.data), (self,), "cos", lambda g, out, a: (-g * _sin(a),))

    def abs(self):
        # d|a| = sign(a) da; at a = 0 we take 0, as PyTorch does
        return Value(abs(self.data), (self,), "abs",
                     lambda g, out, a: (g * ((_data(a) > 0) - (_data(a) < 0)),))
    # --8<-- [end:value_more_rules]

    # *** 3. derived operations: compositions of the primitives, no rules of their own ***

    # --8<-- [start:value_derived]
    def __neg__(self):  # -self
        return self * -1.0

    def __sub__(self, other):  # self - other
        return self + (-_lift(other, "-"))

    def __truediv__(self, other):  # self / other
        other = _lift(other, "/")
        if other.data == 0.0:
            raise DivisionByZeroError(f"division by zero: {self.data} / {other.data}")
        return self * other**-1

    def __radd__(self, other):  # other + self
        return self + other

    def __rsub__(self, other):  # other - self
        return _lift(other, "-") + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __rtruediv__(self, other):  # other / self
        return _lift(other, "/") / self
    # --8<-- [end:value_derived]

    def __rpow__(self, base):  # base ** self = exp(self * log(base)), for base > 0
        base = _lift(base, "**")
        if base.data <= 0.0:
            raise DomainError(f"({base.data}) ** Value is defined here only for a positive base")
        return (self * base.log()).exp()

    def sqrt(self):
        return self**0.5

    def __float__(self):
        return self.data

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # *** 4. backward ***

    # --8<-- [start:value_backward]
    def backward(self, gradient=1.0, create_graph: bool = False) -> None:
        """Add d(self)/d(node) to `node.grad` for self and every node self depends on.

        Grads accumulate across calls, as in PyTorch: call `zero_grad()` (on a Module or an
        optimizer) between steps. `gradient` seeds d(self)/d(self); with create_graph=True the
        grads are Values built by the backward pass, so they can be differentiated again.
        """
        for node, dnode in gradients(self, gradient, create_graph).items():
            node.grad = node.grad + dnode
    # --8<-- [end:value_backward]


# *** 5. the backward pass ***


# --8<-- [start:toposort]
def reverse_topological_order(root: Value) -> list[Value]:
    """root and every Value it depends on, each listed before the Values it was computed from.

    Kahn's algorithm, with loops instead of recursion so that a chain of a million nodes works:
    count the uses of every node inside the graph, then emit a node once all its users are out.
    """
    # EXERCISE 1.3: count the users of every node, then emit a node once all its users are out
    users = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        for inp in node._prev:
            if inp in users:
                users[inp] += 1
            else:
                users[inp] = 1
                stack.append(inp)
    order, ready = [], [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for inp in node._prev:
            users[inp] -= 1
            if users[inp] == 0:
                ready.append(inp)
    # END EXERCISE
    return order
# --8<-- [end:toposort]


# --8<-- [start:gradients]
def gradients(root: Value, gradient=1.0, create_graph: bool = False) -> dict:
    """d(root)/d(node) for root and every node it depends on, by one reverse sweep.

    Nothing is written into `.grad`: `Value.backward` adds these to it, `functional.grad` reads
    them, as `torch.autograd.backward` and `torch.autograd.grad` share one engine.
    """
    if not isinstance(gradient, Value):
        gradient = as_float(gradient, "backward's gradient")
        if create_graph:
            gradient = Value(gradient)
    grads = {root: gradient}
    # EXERCISE 1.4: visit nodes in reverse topological order, passing each gradient to the inputs
    for node in reverse_topological_order(root):
        if node._backward is None:
            continue  # a leaf: nothing to pass on
        # Complete: every user of `node` came earlier in the order and has added its share.
        dout = grads[node]
        if create_graph:
            dinputs = node._backward(dout, node, *node._prev)
        else:
            dinputs = node._backward(dout, node.data, *[inp.data for inp in node._prev])
        for inp, dinp in zip(node._prev, dinputs):
            # One share per use: x * x, or a diamond, reaches x twice, and the shares add up.
            grads[inp] = grads[inp] + dinp if inp in grads else dinp
    # END EXERCISE
    return grads
# --8<-- [end:gradients]
