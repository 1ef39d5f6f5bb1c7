"""More loss functions for nn.functional: the robust regressions and KL divergence.

Each is a composition of Tensor ops; where a piecewise loss meets itself (|d| = beta), the piece
chosen has the gradient torch's backward uses there. Shapes: input and target alike (they
broadcast), reduced by `reduction` ('mean', 'sum' or 'none'; kl_div also 'batchmean').
"""

from ch2_lego.functional import _reduce
from ch2_lego.tensor import Tensor


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; d = input - target."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    loss = (d * d * (0.5 / beta)).where(d.abs() < beta, d.abs() - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0, weight=None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): smooth_l1 scaled by delta."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = input - target
    loss = (d * d * 0.5).where(d.abs() < delta, (d.abs() - 0.5 * delta) * delta)
    return _reduce(loss * weight if weight is not None else loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input), 0 where target is 0;
    input holds log-probabilities. 'batchmean' divides the sum by the batch size (dim 0)."""
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where -1."""
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)
