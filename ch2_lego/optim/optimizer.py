"""optim.Optimizer: parameter groups, per-parameter state, and their state_dict, as in PyTorch.

An optimizer holds `param_groups` (lists of parameters, each group with its own hyperparameters
such as lr) and `state` (per parameter: momentum buffers, Adam's moments, the step count).
Subclasses implement step(). state_dict() names parameters by their position across the groups,
so a saved state loads into a fresh optimizer built over a fresh copy of the model.
"""

from ch2_lego.tensor import Tensor


class OptimizerError(ValueError):
    """Invalid hyperparameters or parameter groups, or a state dict that does not fit."""


def check_nonnegative(**hyperparameters) -> None:
    """Raise PyTorch's error for the first negative one, in the order given: `lr=-1` gives
    "Invalid learning rate: -1", `eps` "Invalid epsilon value", any other "Invalid <name> value"."""
    for name, value in hyperparameters.items():
        if value < 0.0:
            label = {"lr": "learning rate", "eps": "epsilon value"}.get(name, f"{name} value")
            raise OptimizerError(f"Invalid {label}: {value}")


class _RequiredParameter:
    """Marks a hyperparameter with no default (PyTorch's `required`)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class: subclasses pass their defaults dict and implement step()."""

    # *** 1. parameter groups ***

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = {}  # parameter -> dict of its buffers (momentum, moments, step)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise OptimizerError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group; hyperparameters it does not set come from the optimizer's defaults."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(param).__name__}"
                )
            if not param.is_leaf:
                raise OptimizerError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise OptimizerError(
                    f"parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise OptimizerError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _params(self) -> list:
        return [p for group in self.param_groups for p in group["params"]]

    # *** 2. the update ***

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self._params():
            if param.grad is not None:
                if set_to_none:
                    param.grad = None
                else:
                    param.grad.zero_()

    def step(self, closure=None):
        raise NotImplementedError

    def _state_for(self, param) -> dict:
        # Tensors hash by identity (their == is elementwise), so each parameter is its own key.
        return self.state.setdefault(param, {})

    # *** 3. saving and loading ***

    # --8<-- [start:optimizer_state_dict]
    def state_dict(self) -> dict:
        """{"state": {index: buffers}, "param_groups": [hyperparameters, params as indices]}."""
        index = {id(p): i for i, p in enumerate(self._params())}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(buffers) for p, buffers in self.state.items()
                 if id(p) in index}
        return {"state": state, "param_groups": groups}
    # --8<-- [end:optimizer_state_dict]

    # --8<-- [start:optimizer_load_state_dict]
    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and buffers saved by state_dict(), matching by position."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise OptimizerError("loaded state dict has a different number of parameter groups")
        for saved, group in zip(saved_groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise OptimizerError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
        by_index = {
            i: p for saved, group in zip(saved_groups, self.param_groups)
            for i, p in zip(saved["params"], group["params"])
        }
        self.state = {}
        for i, buffers in state_dict["state"].items():
            if int(i) not in by_index:
                raise OptimizerError(f"loaded state dict has state for parameter {i}, which no "
                                     "parameter group lists")
            param = by_index[int(i)]
            # Copies, so that the loaded optimizer never shares buffers with the saved one.
            self.state[param] = {
                k: v.detach().clone().to(param.dtype)
                if isinstance(v, Tensor) and v.is_floating_point() else v
                for k, v in buffers.items()
            }
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
    # --8<-- [end:optimizer_load_state_dict]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"
