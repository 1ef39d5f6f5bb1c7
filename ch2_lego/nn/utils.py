"""nn.utils: gradient clipping (clip_grad_norm_, clip_grad_value_) and parameters_to_vector.

Clipping by the global norm rescales all gradients together, so their direction is kept and
only the step length shrinks: the usual guard against a rare huge gradient in language models.
"""

import math

from ch2_lego.creation import tensor
from ch2_lego.grad_mode import no_grad
from ch2_lego.nn.errors import NonFiniteNormError
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_movement import cat


# --8<-- [start:clip_grad_norm]
@no_grad()
def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients in place so that their joint p-norm is at most max_norm.

    Returns the norm before clipping: the p-norm of all gradient elements as one vector (PyTorch
    takes the norm of the per-tensor norms, which is the same number). The scale is
    max_norm / (norm + 1e-6), capped at 1.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return tensor(0.0)
    norm_type = float(norm_type)
    # EXERCISE 2.27: the norm of all gradients together, as if concatenated into one vector
    flat = cat([g.reshape(-1) for g in grads])  # one op for the norm, not a few per tensor
    if norm_type == math.inf:
        total = flat.abs().max()
    elif norm_type == 2.0:
        total = (flat * flat).sum().sqrt()
    else:
        total = (flat.abs() ** norm_type).sum() ** (1.0 / norm_type)
    # END EXERCISE
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise NonFiniteNormError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
    # PyTorch always multiplies, to avoid a sync; so do we off the CPU. On the CPU reading the
    # scale is free, and when nothing is clipped (scale 1) the multiplications would change
    # nothing. A NaN norm gives a NaN scale, which must still be applied: hence `not >=`.
    if total.device.type != "cpu" or not scale.item() >= 1.0:
        for g in grads:
            g.mul_(scale if scale.dtype == g.dtype else scale.to(g.dtype))
    return total
# --8<-- [end:clip_grad_norm]


@no_grad()
def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    for p in parameters:
        if p.grad is not None:
            p.grad.copy_(p.grad.clamp(-clip_value, clip_value))


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one vector."""
    return cat([p.reshape(-1) for p in parameters])
