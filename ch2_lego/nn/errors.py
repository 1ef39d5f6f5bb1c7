"""The named errors of nn, each a subclass of the builtin that PyTorch raises for the same mistake.

Shape and dtype mistakes inside layers raise the core's ShapeError and DTypeError
(ch2_lego/errors.py); these cover what is particular to modules.
"""


class ModuleError(TypeError):
    """A value of the wrong type assigned or registered into a module, e.g. `cannot assign
    'Tensor' as parameter 'weight' (torch.nn.Parameter or None expected)`."""


class StateDictError(RuntimeError):
    """load_state_dict found missing or unexpected keys, or tensors of the wrong shape."""


class LayerArgumentError(ValueError):
    """An invalid layer argument or input, e.g. `dropout probability has to be between 0 and 1`."""


class NonFiniteNormError(RuntimeError):
    """clip_grad_norm_(..., error_if_nonfinite=True) met an infinite or NaN gradient norm."""


class WindowArgumentError(RuntimeError):
    """An invalid convolution or pooling argument, e.g. `non-positive stride is not supported`
    (PyTorch's functional convolution and pooling raise RuntimeError where modules raise
    ValueError)."""
