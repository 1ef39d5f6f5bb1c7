"""The named errors of ch2_lego, each a subclass of the builtin PyTorch raises for the same mistake.

Messages follow PyTorch's wording where PyTorch has one, so a search for the message finds help
for both libraries. Every user mistake (bad shapes, dims, indices, dtypes, devices, autograd
misuse) raises one of these before any kernel runs; none escapes as a numpy traceback.
"""


class ShapeError(RuntimeError):
    """Shapes that do not broadcast, multiply, view or concatenate."""


class OutOfRangeError(IndexError):
    """An index or a dim out of range, e.g. `Dimension out of range (expected to be in range of
    [-2, 1], but got 2)`."""


class IndexValueError(RuntimeError):
    """An index tensor of gather/scatter holding a value out of range (torch raises RuntimeError
    there, and IndexError for the same mistake in x[index]). Raised by the kernel, which sees the
    values; `index` is the offending value, so that a caller can word the error its own way."""

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index


class IntegerDivisionError(RuntimeError):
    """An integer tensor divided by zero (// or %): torch raises `RuntimeError: ZeroDivisionError`
    from the kernel, where the values are first seen; so do we."""


class InvalidArgumentError(RuntimeError):
    """An argument outside its domain: a zero arange step, a negative probability, a clamp with
    no bound (torch raises RuntimeError for these)."""


class ArgumentError(ValueError):
    """An argument that torch rejects with ValueError: an empty list to cat, ..."""


class DTypeError(RuntimeError):
    """A dtype an op does not accept, or a result type that cannot be cast to the output."""


class UnknownDTypeError(TypeError):
    """Something given as a dtype that is not one of ours (a string, numpy's complex64, ...)."""


class TargetError(ValueError):
    """A loss target that does not fit its input, e.g. `Expected input batch_size (2) to match
    target batch_size (3).`"""


class DeviceError(RuntimeError):
    """Tensors on different devices, or an op no kernel of the device implements."""


class UnsupportedOpError(NotImplementedError):
    """No kernel for this op, dtype and device, e.g. `"matmul" not implemented for 'Bool' on
    device 'cpu'`."""


class AutogradError(RuntimeError):
    """Misuse of autograd: backward through a freed graph, a tensor modified after it was saved,
    an in-place op on a leaf that requires grad, backward of a non-scalar without a gradient."""
