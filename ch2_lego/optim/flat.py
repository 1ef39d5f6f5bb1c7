"""Flat buffers: a group's parameters and optimizer state laid end to end, each tensor a view.

An optimizer step does a few elementwise ops per parameter tensor. In an interpreter each op
costs tens of microseconds whatever its size, so a GPT's 29 small tensors cost more in overhead
than in arithmetic. Laying all parameters of a group into one flat buffer (each Parameter's
.data becomes a view of its slice) and all of a state buffer likewise (each parameter's
state[p]["exp_avg"] a view) lets one op update every tensor at once. PyTorch reaches the same
goal with its multi-tensor `foreach` kernels and `fused` optimizers; DDP's gradient buckets and
FSDP's flat parameters use the same layout.
Letters legend: N total number of elements of the group.
"""

from ch2_lego.creation import empty, zeros
from ch2_lego.grad_mode import no_grad
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_movement import cat


class FlatGroup:
    """The parameters of one group in one buffer of N elements, plus named flat state buffers.

    Built from the current values; `intact()` says whether every view is still in place (a
    Module.to() or an optimizer load_state_dict() replaces tensors, and then the optimizer
    builds a new FlatGroup from the new values).
    """

    # --8<-- [start:flat_group]
    def __init__(self, params: list[Tensor], state: dict, names: tuple[str, ...]):
        self.params = list(params)
        self.spans, start = [], 0  # (start, stop) of each parameter in the flat buffer
        for p in self.params:
            self.spans.append((start, start + p.numel()))
            start += p.numel()
        dtype, device = self.params[0].dtype, self.params[0].device
        with no_grad():
            self.param = empty(start, dtype=dtype, device=device)
            for p, view in zip(self.params, self._views(self.param), strict=True):
                view.copy_(p)
                p.data = view  # the Parameter object stays; its storage is now the flat one
            self.buffers = {}
            for name in names:
                flat = zeros(start, dtype=dtype, device=device)
                for p, view in zip(self.params, self._views(flat), strict=True):
                    if name in state[p]:
                        view.copy_(state[p][name])  # keep what an earlier step computed
                    state[p][name] = view
                self.buffers[name] = flat
        self._ptrs = [p.data_ptr() for p in self.params]
        self._state_views = {name: [state[p][name] for p in self.params] for name in names}

    def _views(self, flat: Tensor) -> list[Tensor]:
        return [flat[a:b].view(p.shape) for p, (a, b) in zip(self.params, self.spans)]

    def grad(self) -> Tensor:
        """All gradients, concatenated in the same order. Shapes: -> (N,)."""
        return cat([p.grad.reshape(-1) for p in self.params])
    # --8<-- [end:flat_group]

    def intact(self, params: list[Tensor], state: dict, names: tuple[str, ...]) -> bool:
        """Whether these are still our parameters and buffers, each still a view of ours."""
        if tuple(names) != tuple(self.buffers) or len(params) != len(self.params):
            return False
        if any(p is not q for p, q in zip(params, self.params)):
            return False
        if any(p.data_ptr() != ptr for p, ptr in zip(params, self._ptrs)):
            return False
        return all(state.get(p, {}).get(name) is view for name, views in
                   self._state_views.items() for p, view in zip(params, views))
