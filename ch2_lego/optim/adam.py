"""optim.Adam and optim.AdamW: adaptive moment estimation, with L2 or decoupled weight decay.

Both follow torch.optim exactly: bias-corrected first and second moments, eps added after the
square root, and (AdamW) weight decay applied to the weights before the Adam update rather than
folded into the gradient (Loshchilov and Hutter, "Decoupled Weight Decay Regularization").
"""

import math

from ch2_lego import no_grad, zeros_like
from ch2_lego.optim.optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015); weight_decay here is L2, added to the gradient."""

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    # --8<-- [start:adam_step]
    @no_grad()
    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient.

        $m \\leftarrow \\beta_1 m + (1-\\beta_1) g$, $v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2$,
        $p \\leftarrow p - \\frac{lr}{1-\\beta_1^t} \\cdot
        \\frac{m}{\\sqrt{v}/\\sqrt{1-\\beta_2^t} + \\epsilon}$
        (the bias corrections undo the zero initialisation of m and v).
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group[
                "weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                state = self._state_for(p)
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_like(p)
                state["step"] += 1
                t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
                # EXERCISE 2.23: decay the weights, update both moments, then take the step
                if wd != 0 and self.decoupled_weight_decay:
                    p.mul_(1 - lr * wd)  # AdamW: shrink the weights themselves
                elif wd != 0:
                    g = g + wd * p  # Adam: L2 regularisation through the gradient
                m.mul_(beta1).add_((1 - beta1) * g)
                v.mul_(beta2).add_((1 - beta2) * g * g)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"].copy_(state["max_exp_avg_sq"].maximum(v))
                    v = state["max_exp_avg_sq"]
                denom = v.sqrt() / math.sqrt(1 - beta2**t) + eps
                p.add_(-(lr / (1 - beta1**t)) * m / denom)
                # END EXERCISE
        return loss
    # --8<-- [end:adam_step]


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p (1 - lr wd) before the Adam step."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
