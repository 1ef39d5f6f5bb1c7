"""optim.Adam and optim.AdamW: adaptive moment estimation, with L2 or decoupled weight decay.

Both follow torch.optim exactly: bias-corrected first and second moments, eps added after the
square root, and (AdamW) weight decay applied to the weights before the Adam update rather than
folded into the gradient (Loshchilov and Hutter, "Decoupled Weight Decay Regularization").
The update is one function, `_update`, applied either to each parameter tensor in turn
(foreach=False, PyTorch's default path on the CPU) or once to a group's flat buffers (optim/
flat.py; our default, since our per-op cost dominates small tensors). Both give the same numbers.
"""

import math

from ch2_lego.creation import zeros_like
from ch2_lego.grad_mode import no_grad
from ch2_lego.optim.flat import FlatGroup
from ch2_lego.optim.optimizer import Optimizer, OptimizerError


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015); weight_decay here is L2, added to the gradient."""

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, foreach: bool | None = None, maximize=False):
        if lr < 0.0:
            raise OptimizerError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise OptimizerError(f"Invalid epsilon value: {eps}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise OptimizerError(f"Invalid beta parameter at index {i}: {beta}")
        if weight_decay < 0.0:
            raise OptimizerError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)
        self._flat: dict[int, FlatGroup] = {}  # group index -> its flat buffers

    # --8<-- [start:adam_update]
    def _update(self, group: dict, t: int, p, g, m, v, v_max=None) -> None:
        """One Adam step of parameter p (a tensor, or a whole group's flat buffer) in place.

        $m \\leftarrow \\beta_1 m + (1-\\beta_1) g$, $v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2$,
        $p \\leftarrow p - \\frac{lr}{1-\\beta_1^t} \\cdot
        \\frac{m}{\\sqrt{v}/\\sqrt{1-\\beta_2^t} + \\epsilon}$
        (the bias corrections undo the zero initialisation of m and v).
        """
        lr, (beta1, beta2), eps, wd = (group["lr"], group["betas"], group["eps"],
                                       group["weight_decay"])
        g = -g if group["maximize"] else g
        # NOTE: in-place ops on fresh temporaries (.mul_, .div_) save an allocation each.
        # EXERCISE 2.23: decay the weights, update both moments, then take the step
        if wd != 0 and self.decoupled_weight_decay:
            p.mul_(1 - lr * wd)  # AdamW: shrink the weights themselves
        elif wd != 0:
            g = g + wd * p  # Adam: L2 regularisation through the gradient
        m.mul_(beta1).add_(g * (1 - beta1))  # m <- beta1 m + (1 - beta1) g
        v.mul_(beta2).add_((g * g).mul_(1 - beta2))  # v <- beta2 v + (1 - beta2) g^2
        if v_max is not None:  # amsgrad: normalise by the largest v seen so far
            v = v_max.copy_(v_max.maximum(v))
        denom = v.sqrt().div_(math.sqrt(1 - beta2**t)).add_(eps)
        p.add_((m / denom).mul_(-lr / (1 - beta1**t)))
        # END EXERCISE
    # --8<-- [end:adam_update]

    # --8<-- [start:adam_step]
    @no_grad()
    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient."""
        loss = closure() if closure is not None else None
        for index, group in enumerate(self.param_groups):
            names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                state = self._state_for(p)
                if not state:
                    state["step"] = 0
                    for name in names:
                        state[name] = zeros_like(p)
                state["step"] += 1
            t = self.state[params[0]]["step"] if params else 0
            if self._use_flat(group, params):  # one update for the whole group
                flat = self._flat.get(index)
                if flat is None or not flat.intact(params, self.state, names):
                    flat = self._flat[index] = FlatGroup(params, self.state, names)
                self._update(group, t, flat.param, flat.grad(),
                             *(flat.buffers[name] for name in names))
            else:  # one update per parameter tensor
                for p in params:
                    state = self.state[p]
                    self._update(group, state["step"], p, p.grad,
                                 *(state[name] for name in names))
        return loss
    # --8<-- [end:adam_step]

    def _use_flat(self, group: dict, params: list) -> bool:
        """The flat path needs every parameter of the group, one dtype and one step count."""
        if group["foreach"] is False or len(params) != len(group["params"]) or not params:
            return False
        first = self.state[params[0]]
        return all(p.dtype == params[0].dtype and self.state[p]["step"] == first["step"]
                   for p in params)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p (1 - lr wd) before the Adam step."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, foreach: bool | None = None, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize)
