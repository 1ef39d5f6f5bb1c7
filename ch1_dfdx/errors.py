"""The errors chapter 1 raises for bad input, one named type per kind of mistake.

Each subclasses the builtin a Python programmer would expect (`log(-1)` is a `ValueError`,
`1 / 0` a `ZeroDivisionError`, `Value("a")` a `TypeError`), so `except ValueError` keeps working,
and each message says which operation failed on which operand.
"""


class DomainError(ValueError):
    """A function applied outside its domain: `log` of a non-positive number, a fractional power
    of a negative number."""


class DivisionByZeroError(ZeroDivisionError):
    """Division by zero, or zero raised to a negative power."""


class OperandTypeError(TypeError):
    """An operand that is not a real number or a Value (a string, None, a complex number)."""


class UnsupportedPowerError(TypeError):
    """`x ** y` with a Value exponent: only constant exponents have a rule in the engine."""


class GradError(RuntimeError):
    """A derivative asked of something that has none, e.g. `grad(f)` where f returns no Value."""


class ShapeError(ValueError):
    """A layer or neuron called with the wrong number of inputs."""


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree (the name PyTorch's `gradcheck` uses)."""
