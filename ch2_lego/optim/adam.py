"""optim.Adam and optim.AdamW: adaptive moment estimation, with L2 or decoupled weight decay.

Both follow torch.optim exactly: bias-corrected first and second moments, eps added after the
square root, and (AdamW) weight decay applied to the weights before the Adam update rather than
folded into the gradient (Loshchilov and Hutter, "Decoupled Weight Decay Regularization").
The update is one function, `_update`, applied either to each parameter tensor in turn
(foreach=False, PyTorch's default path on the CPU) or once to a group's flat buffers (optim/
flat.py; our default, since our per-op cost dominates small tensors). Both give the same numbers.

capturable=True (as PyTorch's) keeps the step count on the parameters' device, a 0-d float32
tensor, and computes the bias corrections from it as tensor expressions: an optimizer step is
then the same graph at every step, so a compiler (chapter 4) can record it once and replay it.
A group stepped as one keeps its parameters' step counts in one vector (each state's "step" a
0-d view of it), so the flat path advances them all with one add.
"""

import math

from ch2_lego.creation import tensor, zeros_like
from ch2_lego.dtype import float32
from ch2_lego.grad_mode import no_grad
from ch2_lego.optim.flat import FlatGroup
from ch2_lego.optim.optimizer import Optimizer, OptimizerError, check_nonnegative
from ch2_lego.tensor import Tensor


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015); weight_decay here is L2, added to the gradient."""

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, foreach: bool | None = None, maximize=False,
                 capturable=False):
        check_nonnegative(lr=lr, eps=eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise OptimizerError(f"Invalid beta parameter at index {i}: {beta}")
        check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                        capturable=capturable)
        super().__init__(params, defaults)
        self._flat: dict[int, FlatGroup] = {}  # group index -> its flat buffers
        self._steps: dict[int, tuple] = {}  # capturable: group index -> (vector, views, equal)

    # --8<-- [start:adam_update]
    def _update(self, group: dict, t, p, g, m, v, v_max=None) -> None:
        """One Adam step of parameter p (a tensor, or a whole group's flat buffer) in place.

        $m \\leftarrow \\beta_1 m + (1-\\beta_1) g$, $v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2$,
        $p \\leftarrow p - \\frac{lr}{1-\\beta_1^t} \\cdot
        \\frac{m}{\\sqrt{v}/\\sqrt{1-\\beta_2^t} + \\epsilon}$
        (the bias corrections undo the zero initialisation of m and v). t is the step count:
        an int, or a 0-d tensor (capturable), which makes bc1 and bc2_sqrt tensors too.
        """
        lr, (beta1, beta2), eps, wd = (group["lr"], group["betas"], group["eps"],
                                       group["weight_decay"])
        bc1, bc2_sqrt = bias_corrections(beta1, beta2, t)  # 1 - beta1^t, sqrt(1 - beta2^t)
        g = -g if group["maximize"] else g
        # NOTE: in-place ops on fresh temporaries (.mul_, .div_) save an allocation each.
        # EXERCISE 2.23: decay the weights, update both moments, then step with bc1, bc2_sqrt
        if wd != 0 and self.decoupled_weight_decay:
            p.mul_(1 - lr * wd)  # AdamW: shrink the weights themselves
        elif wd != 0:
            g = g + wd * p  # Adam: L2 regularisation through the gradient
        m.mul_(beta1).add_(g * (1 - beta1))  # m <- beta1 m + (1 - beta1) g
        v.mul_(beta2).add_((g * g).mul_(1 - beta2))  # v <- beta2 v + (1 - beta2) g^2
        if v_max is not None:  # amsgrad: normalise by the largest v seen so far
            v = v_max.copy_(v_max.maximum(v))
        denom = v.sqrt().div_(bc2_sqrt).add_(eps)
        p.add_((m / denom).mul_(-lr / bc1))
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
                if not group["capturable"]:
                    state["step"] += 1
            if group["capturable"]:
                t = self._advance_steps(index, group, params)
            else:
                t = self.state[params[0]]["step"] if params else 0
            if self._use_flat(group, params, t):  # one update for the whole group
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

    def _use_flat(self, group: dict, params: list, t) -> bool:
        """The flat path needs every parameter of the group, one dtype and one step count."""
        if group["foreach"] is False or len(params) != len(group["params"]) or not params:
            return False
        if group["capturable"]:  # one count: t is the group's (else None); no values read
            return t is not None and all(p.dtype == params[0].dtype for p in params)
        first = self.state[params[0]]
        return all(p.dtype == params[0].dtype and self.state[p]["step"] == first["step"]
                   for p in params)

    # --8<-- [start:adam_capturable]
    def _advance_steps(self, index: int, group: dict, params: list):
        """capturable: add 1 to each stepped parameter's step tensor, on its device.

        Returns the group's common step count (a 0-d tensor) when the whole group steps as one
        (one add on the group's step vector), else None (an add per parameter). The vector is
        built, reading the counts once, on the first step and after anything replaced a state.
        """
        whole = bool(params) and len(params) == len(group["params"])
        record = self._steps.get(index)
        if whole and (record is None or any(self.state[p]["step"] is not view
                                            for p, view in zip(params, record[1]))):
            record = self._steps[index] = self._step_vector(params)
        if whole and record[2]:
            record[0].add_(1)
            return record[1][0]
        self._steps.pop(index, None)  # counts now differ: read them again when next whole
        for p in params:
            step = self.state[p]["step"]
            if not isinstance(step, Tensor):  # a new state, or one saved by capturable=False
                step = self.state[p]["step"] = tensor(float(step), dtype=float32,
                                                      device=p.device)
            step.add_(1)
        return None

    def _step_vector(self, params: list) -> tuple:
        """(vector, its 0-d views, whether all counts are equal): the views become the states'
        "step"s. Reads existing counts (a device sync, once per build)."""
        counts = [float(s.item()) if isinstance(s, Tensor) else float(s)
                  for s in (self.state[p]["step"] for p in params)]
        vector = tensor(counts, dtype=float32, device=params[0].device)
        views = [vector[i] for i in range(len(params))]
        for p, view in zip(params, views):
            self.state[p]["step"] = view
        return vector, views, len(set(counts)) == 1
    # --8<-- [end:adam_capturable]


def bias_corrections(beta1: float, beta2: float, t):
    """(1 - beta1^t, sqrt(1 - beta2^t)): Python floats for an int t; for a 0-d tensor t, 0-d
    float64 tensors, so that no float32 rounding of beta^t (about 1e-5 of 1 - beta2^t early
    in training) enters the step."""
    if isinstance(t, Tensor):
        t = t.double()
        return 1 - beta1**t, (1 - beta2**t).sqrt()
    return 1 - beta1**t, math.sqrt(1 - beta2**t)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p (1 - lr wd) before the Adam step."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, foreach: bool | None = None, maximize=False,
                 capturable=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable)
