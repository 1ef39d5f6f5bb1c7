"""optim.RMSprop: divide the gradient by a running root mean square of recent gradients.

Follows torch.optim.RMSprop (Hinton's lecture 6e; the centered form from Graves, 2013): eps
added after the square root, momentum applied to the scaled gradient, and the centered variant
subtracting the square of a running mean gradient.
"""

from ch2_lego.creation import zeros_like
from ch2_lego.grad_mode import no_grad
from ch2_lego.optim.optimizer import Optimizer, check_nonnegative


class RMSprop(Optimizer):
    """p <- p - lr * g / (sqrt(v) + eps), v a running mean of g^2 with decay alpha."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, capturable=False, foreach=None, maximize=False):
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                          alpha=alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, capturable=capturable,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    # --8<-- [start:rmsprop_step]
    @no_grad()
    def step(self, closure=None):
        """$v \\leftarrow \\alpha v + (1-\\alpha) g^2$; centered: $\\bar g \\leftarrow \\alpha
        \\bar g + (1-\\alpha) g$ and $v - \\bar g^2$ in place of $v$; then
        $p \\leftarrow p - lr \\cdot g / (\\sqrt{v} + \\epsilon)$, or through a momentum buffer
        $b \\leftarrow \\mu b + g / (\\sqrt{v} + \\epsilon)$, $p \\leftarrow p - lr \\cdot b$."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, alpha, mu = group["lr"], group["alpha"], group["momentum"]
            wd = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self._state_for(p)
                if not state:
                    state.update(step=0, square_avg=zeros_like(p))
                    if mu > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if wd != 0:
                    g = g + wd * p
                v = state["square_avg"].mul_(alpha).add_(g * g * (1 - alpha))
                if group["centered"]:
                    mean = state["grad_avg"].lerp_(g, 1 - alpha)
                    v = v - mean * mean
                scaled = g / v.sqrt().add_(group["eps"])
                if mu > 0:
                    p.add_(state["momentum_buffer"].mul_(mu).add_(scaled) * -lr)
                else:
                    p.add_(scaled * -lr)
        return loss
    # --8<-- [end:rmsprop_step]
