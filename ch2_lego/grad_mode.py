"""Grad mode: whether ops record the graph autograd needs (torch.autograd.grad_mode).

`no_grad()` turns recording off inside a `with` block or a decorated function, `enable_grad()`
turns it back on, `set_grad_enabled(mode)` sets it. The state is one module-level flag.
"""

import functools

_enabled = [True]


def is_grad_enabled() -> bool:
    return _enabled[0]


class set_grad_enabled:
    """Set grad mode to `mode` now; used as a context manager it restores the old mode on exit."""

    def __init__(self, mode: bool):
        self.prev = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _enabled[0] = self.prev


class _GradModeContext:
    mode = True

    def __enter__(self):
        self.prev = _enabled[0]
        _enabled[0] = self.mode

    def __exit__(self, *exc):
        _enabled[0] = self.prev

    def __call__(self, fn):  # as a decorator
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Ops inside record no graph: results have requires_grad False (inference, optimizers)."""

    mode = False


class enable_grad(_GradModeContext):
    """Record the graph again, e.g. inside a no_grad block."""

    mode = True


class inference_mode(no_grad):
    """Same as no_grad here (PyTorch additionally skips version counting)."""

    def __init__(self, mode: bool = True):
        self.mode = not mode
