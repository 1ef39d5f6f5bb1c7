"""optim.Adadelta: steps whose size is the ratio of running RMS of updates and of gradients.

Follows torch.optim.Adadelta (Zeiler, 2012, "ADADELTA: An Adaptive Learning Rate Method"):
eps inside both square roots, and a learning rate (default 1) that scales the final update.
"""

from ch2_lego.creation import zeros_like
from ch2_lego.grad_mode import no_grad
from ch2_lego.optim.optimizer import Optimizer, OptimizerError, check_nonnegative


class Adadelta(Optimizer):
    """p <- p - lr * d, d = g * sqrt(u + eps) / sqrt(v + eps), u and v running means of d^2, g^2."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *,
                 capturable=False, maximize=False):
        check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise OptimizerError(f"Invalid rho value: {rho}")
        check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        capturable=capturable, maximize=maximize)
        super().__init__(params, defaults)

    # --8<-- [start:adadelta_step]
    @no_grad()
    def step(self, closure=None):
        """$v \\leftarrow \\rho v + (1-\\rho) g^2$;
        $d = g \\sqrt{u + \\epsilon} / \\sqrt{v + \\epsilon}$;
        $u \\leftarrow \\rho u + (1-\\rho) d^2$; $p \\leftarrow p - lr \\cdot d$."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self._state_for(p)
                if not state:
                    state.update(step=0, square_avg=zeros_like(p), acc_delta=zeros_like(p))
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if wd != 0:
                    g = g + wd * p
                v, u = state["square_avg"], state["acc_delta"]
                v.mul_(rho).add_(g * g * (1 - rho))
                d = (u + eps).sqrt_().div_((v + eps).sqrt_()).mul_(g)
                u.mul_(rho).add_(d * d * (1 - rho))
                p.add_(d * -lr)
        return loss
    # --8<-- [end:adadelta_step]
