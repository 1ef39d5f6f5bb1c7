"""optim.SGD: stochastic gradient descent with momentum, Nesterov momentum and weight decay.

The update follows torch.optim.SGD exactly (same buffer initialisation, same dampening), so a
model trained here and in PyTorch from the same weights takes the same steps.
"""

from ch2_lego.grad_mode import no_grad
from ch2_lego.optim.optimizer import Optimizer, OptimizerError, check_nonnegative, required


class SGD(Optimizer):
    """p <- p - lr * d, where d is the gradient, optionally with weight decay and momentum."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, maximize=False):
        if lr is not required and lr < 0.0:
            raise OptimizerError(f"Invalid learning rate: {lr}")
        check_nonnegative(momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise OptimizerError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    # --8<-- [start:sgd_step]
    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient.

        With weight decay wd, momentum mu and dampening tau, for each parameter p:
        $g = \\nabla p + wd \\cdot p$; $b = g$ on the first step, then $b = \\mu b + (1-\\tau) g$;
        the direction is $g + \\mu b$ (Nesterov) or $b$; finally $p \\leftarrow p - lr \\cdot d$.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if wd != 0:
                    g = g + wd * p
                # EXERCISE 2.22: keep a momentum buffer per parameter, then step against it
                if mu != 0:
                    state = self._state_for(p)
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g.clone().detach()
                    else:
                        buf.mul_(mu).add_((1 - group["dampening"]) * g)
                    g = g + mu * buf if group["nesterov"] else buf
                p.add_(-lr * g)
                # END EXERCISE
        return loss
    # --8<-- [end:sgd_step]
