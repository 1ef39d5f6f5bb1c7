"""Chapter 1, the derivative: automatic differentiation on scalars.

In the order of the book: `engine` (Value, reverse mode; its checked float math is in
`scalar_math`), `forward` (Dual, forward mode),
`functional` (grad, jvp, vjp, hvp), `gradcheck` (central differences), `nn` (Neuron, Layer,
MLP, SGD), `data` (two moons), `train` (the training loop), `viz` (graph drawings), `tour`.
"""

from ch1_dfdx.engine import Value, gradients, reverse_topological_order
from ch1_dfdx.errors import (
    DivisionByZeroError,
    DomainError,
    GradcheckError,
    GradError,
    OperandTypeError,
    ShapeError,
    UnsupportedPowerError,
)
from ch1_dfdx.forward import Dual
from ch1_dfdx.functional import grad, hvp, jvp, vjp
from ch1_dfdx.gradcheck import central_difference, gradcheck
from ch1_dfdx.nn import MLP, SGD, Layer, Module, Neuron

__all__ = [
    "Value", "gradients", "reverse_topological_order", "Dual", "grad", "jvp", "vjp", "hvp",
    "central_difference", "gradcheck", "Module", "Neuron", "Layer", "MLP", "SGD",
    "DomainError", "DivisionByZeroError", "OperandTypeError", "UnsupportedPowerError",
    "GradError", "ShapeError", "GradcheckError",
]
