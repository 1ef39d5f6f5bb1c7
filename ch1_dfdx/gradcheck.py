"""Numerical gradient checking by central differences.

`central_difference` estimates one partial derivative of f from two evaluations of f; its error
shrinks as eps^2, where the one-sided difference's shrinks only as eps. `gradcheck` compares
those estimates with reverse mode's gradients, as `torch.autograd.gradcheck` does, and raises
`GradcheckError` naming the input whose gradients disagree. f is called on Values.
"""

from ch1_dfdx.engine import Value, gradients
from ch1_dfdx.errors import GradcheckError, GradError


def _evaluate(f, xs) -> float:
    return float(f(*[Value(x) for x in xs]))


# --8<-- [start:central_difference]
def central_difference(f, *xs: float, arg: int = 0, eps: float = 1e-6) -> float:
    """df/dx_arg at xs, estimated as (f(x + eps e_arg) - f(x - eps e_arg)) / (2 eps).

    Taylor: f(x +- h) = f(x) +- h f'(x) + h^2/2 f''(x) +- h^3/6 f'''(x) + ..., so the even terms
    cancel in the difference and the error is h^2/6 f'''(x), plus rounding of order 1e-16 / h.
    """
    # EXERCISE 1.7: evaluate f a step eps above and below xs[arg]; divide the change by 2 eps
    up = [x + eps if i == arg else x for i, x in enumerate(xs)]
    down = [x - eps if i == arg else x for i, x in enumerate(xs)]
    return (_evaluate(f, up) - _evaluate(f, down)) / (2 * eps)
    # END EXERCISE
# --8<-- [end:central_difference]


def numerical_gradient(f, *xs: float, eps: float = 1e-6) -> tuple[float, ...]:
    """Every partial derivative of f at xs, by central differences."""
    return tuple(central_difference(f, *xs, arg=i, eps=eps) for i in range(len(xs)))


def analytic_gradient(f, *xs: float) -> tuple[float, ...]:
    """Every partial derivative of f at xs, by reverse mode."""
    inputs = [Value(x) for x in xs]
    out = f(*inputs)
    if not isinstance(out, Value):
        raise GradError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    dall = gradients(out)
    return tuple(dall.get(x, 0.0) for x in inputs)


# --8<-- [start:gradcheck]
def gradcheck(f, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """True if reverse mode's gradient of f at `inputs` matches central differences.

    Each partial must satisfy |analytic - numerical| <= atol + rtol * |numerical| (PyTorch's
    default tolerances). On a mismatch raises GradcheckError, or returns False if
    raise_exception is False.
    """
    analytic = analytic_gradient(f, *inputs)
    numerical = numerical_gradient(f, *inputs, eps=eps)
    for i, (a, n) in enumerate(zip(analytic, numerical)):
        if abs(a - n) > atol + rtol * abs(n):
            if not raise_exception:
                return False
            raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input {i},\n"
                                 f"numerical: {n!r}\nanalytical: {a!r}")
    return True
# --8<-- [end:gradcheck]
