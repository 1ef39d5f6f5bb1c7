"""nn.Parameter: a Tensor that a Module registers as trainable when it is assigned to it.

A Parameter shares the storage of the tensor it wraps, is a leaf, and requires grad by default.
Being a distinct type is its whole job: Module.__setattr__ sorts attributes by type.
"""

from ch2_lego.creation import empty
from ch2_lego.errors import AutogradError
from ch2_lego.tensor import Tensor


# --8<-- [start:parameter]
class Parameter(Tensor):
    """Parameter(data, requires_grad=True): data's storage and view, as a trainable leaf."""

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        data = empty(0) if data is None else data
        if requires_grad and not data.dtype.is_floating_point:
            raise AutogradError("Only Tensors of floating point and complex dtype can require "
                                "gradients")
        # Not Tensor.__init__, which would copy: point at data's storage, with no graph.
        self._init(data._buf)
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
# --8<-- [end:parameter]
