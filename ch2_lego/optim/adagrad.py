"""optim.Adagrad: per-coordinate step sizes that shrink with the sum of squared gradients.

Follows torch.optim.Adagrad (Duchi, Hazan and Singer, 2011): the same accumulator, its initial
value, eps added after the square root, and the learning-rate decay by step count.
"""

from ch2_lego.creation import full_like
from ch2_lego.grad_mode import no_grad
from ch2_lego.optim.optimizer import Optimizer, check_nonnegative


class Adagrad(Optimizer):
    """p <- p - lr_t * g / (sqrt(sum of g^2 so far) + eps), with lr_t = lr / (1 + (t-1) decay)."""

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, foreach=None, *, maximize=False):
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch creates the state with the optimizer
            for p in group["params"]:
                self._start(p, group)

    def _start(self, p, group: dict) -> dict:
        """p's state, created (step 0, the accumulator at its initial value) if it has none:
        a group added by add_param_group gets its state at its first step."""
        state = self._state_for(p)
        if not state:
            state.update(step=0, sum=full_like(p, group["initial_accumulator_value"]))
        return state

    # --8<-- [start:adagrad_step]
    @no_grad()
    def step(self, closure=None):
        """$s \\leftarrow s + g^2$; $p \\leftarrow p - \\frac{lr}{1 + (t-1) \\cdot decay}
        \\cdot \\frac{g}{\\sqrt{s} + \\epsilon}$, with $g$ the gradient (+ wd p)."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self._start(p, group)
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if wd != 0:
                    g = g + wd * p
                clr = lr / (1 + (state["step"] - 1) * group["lr_decay"])
                state["sum"].add_(g * g)
                p.add_(g / state["sum"].sqrt().add_(eps) * -clr)
        return loss
    # --8<-- [end:adagrad_step]
