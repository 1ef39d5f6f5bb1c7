"""Derivatives of Python functions of several scalars: grad, jvp, vjp and hvp.

`f` takes n scalars and returns one scalar (grad, hvp) or one or more (jvp, vjp); it is written
with the operations Value and Dual share, e.g. `lambda x, y: (x * y).sin() + y`. jvp runs forward
mode, the others reverse mode. Names follow `torch.func` and `torch.autograd.functional`; unlike
`torch.func.vjp`, our vjp takes the cotangent at once and returns the product.
"""

import numbers

from ch1_dfdx.engine import Value, gradients
from ch1_dfdx.errors import GradError, ShapeError
from ch1_dfdx.forward import Dual
from ch1_dfdx.scalar_math import as_float


def _scalar_output(out, who: str) -> Value:
    """f's output, which must be a Value computed from f's inputs."""
    if isinstance(out, Value):
        return out
    if isinstance(out, tuple | list):
        raise GradError(f"{who} needs f to return one scalar, got {len(out)} outputs; "
                        "use vjp for several")
    raise GradError(f"{who}: f must return a Value computed from its inputs, "
                    f"got {type(out).__name__}")


def _outputs(out, kind: type, who: str) -> tuple:
    """f's outputs as a tuple: each a `kind` (Value or Dual) or a number, which is a constant."""
    outs = tuple(out) if isinstance(out, tuple | list) else (out,)
    for o in outs:
        if not isinstance(o, kind | numbers.Real):
            raise GradError(f"{who}: f must return {kind.__name__}s or numbers, "
                            f"got {type(o).__name__}")
    return outs


def _check_tangents(primals, tangents, who: str) -> None:
    if len(primals) != len(tangents):
        raise ShapeError(f"{who}: {len(primals)} primals but {len(tangents)} tangents")


# *** 1. reverse mode: grad and vjp ***


# How many grad_f calls are running. Inside one, a gradient may be differentiated again, even
# if its own arguments are floats: f can close over the outer call's Values.
_grad_depth = 0


# --8<-- [start:grad]
def grad(f):
    """The gradient of scalar f, as a function: grad(f)(*xs) = (df/dx1, ..., df/dxn).

    Returns a float for a function of one argument, a tuple of floats otherwise. Given Values,
    or called inside another grad, it builds its backward pass out of Values (create_graph=True)
    and returns Values, so grad(grad(f)) differentiates the gradient again, as `torch.func.grad`
    composes.
    """

    def grad_f(*xs):
        global _grad_depth
        nested = _grad_depth > 0 or any(isinstance(x, Value) for x in xs)
        # A Value argument is used as is, so that the graph reaches back to an outer grad's input.
        inputs = [x if isinstance(x, Value) else Value(as_float(x, "grad")) for x in xs]
        _grad_depth += 1
        try:
            out = _scalar_output(f(*inputs), "grad")
            dall = gradients(out, 1.0, create_graph=nested)
        finally:
            _grad_depth -= 1
        zero = Value(0.0) if nested else 0.0  # an input f does not use
        dxs = tuple(dall.get(x, zero) for x in inputs)
        return dxs[0] if len(dxs) == 1 else dxs

    return grad_f
# --8<-- [end:grad]


# --8<-- [start:vjp]
def vjp(f, primals: tuple, cotangents: tuple) -> tuple:
    """f(x) and the vector-Jacobian product u^T J at x, by one reverse sweep.

    u^T J is the gradient of the scalar u . f(x), so a VJP costs one backward pass whatever the
    number of inputs: this is why training uses reverse mode. Returns (outputs, u^T J).
    """
    inputs = [Value(x) for x in primals]
    out = f(*inputs)
    outs = _outputs(out, Value, "vjp")
    if len(outs) != len(cotangents):
        raise ShapeError(f"vjp: {len(outs)} outputs of f but {len(cotangents)} cotangents")
    weighted = sum((u * o for u, o in zip(cotangents, outs)), Value(0.0))
    dall = gradients(weighted)
    values = tuple(float(o) for o in outs)
    return (values if isinstance(out, tuple | list) else values[0],
            tuple(dall.get(x, 0.0) for x in inputs))
# --8<-- [end:vjp]


# *** 2. forward mode: jvp ***


# --8<-- [start:jvp]
def jvp(f, primals: tuple, tangents: tuple) -> tuple:
    """f(x) and the Jacobian-vector product J v at x, by one forward pass on dual numbers.

    J v is the derivative of f along v; it costs one evaluation of f whatever the number of
    outputs. Returns (outputs, J v), each a float if f returns one scalar, else a tuple.
    """
    _check_tangents(primals, tangents, "jvp")
    out = f(*[Dual(x, v) for x, v in zip(primals, tangents)])
    outs = _outputs(out, Dual, "jvp")
    # An output that is a plain number does not depend on the inputs: its tangent is 0.
    pairs = [(o.primal, o.tangent) if isinstance(o, Dual) else (float(o), 0.0) for o in outs]
    if not isinstance(out, tuple | list):
        return pairs[0]
    return tuple(p for p, _ in pairs), tuple(t for _, t in pairs)
# --8<-- [end:jvp]


# *** 3. second order: Hessian-vector products ***


# --8<-- [start:hvp]
def hvp(f, primals: tuple, tangents: tuple) -> tuple:
    """f(x) and the Hessian-vector product H v at x, by reverse mode over reverse mode.

    H v is the gradient of grad(f) . v, a scalar, so it costs two backward passes and never
    forms the n x n Hessian. Returns (f(x), H v), as `torch.autograd.functional.hvp` does.
    """
    _check_tangents(primals, tangents, "hvp")
    inputs = [Value(x) for x in primals]
    out = _scalar_output(f(*inputs), "hvp")
    # EXERCISE 1.6: differentiate (grad f . v): the first backward pass must build a graph
    dfirst = gradients(out, 1.0, create_graph=True)
    directional = sum((dfirst[x] * v for x, v in zip(inputs, tangents) if x in dfirst),
                      Value(0.0))
    dsecond = gradients(directional)
    hv = tuple(dsecond.get(x, 0.0) for x in inputs)
    # END EXERCISE
    return out.data, hv
# --8<-- [end:hvp]
