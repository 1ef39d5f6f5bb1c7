"""Activation layers: ReLU, GELU, Tanh, Sigmoid, SiLU, Softmax, LogSoftmax.

Each wraps one Tensor op or one nn.functional function; they exist as modules so that they can
sit in a Sequential and show up in a model's repr.
"""

from ch2_lego.nn import functional as F
from ch2_lego.nn.module import Module
from ch2_lego.tensor import Tensor


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, input: Tensor) -> Tensor:
        return input.relu()


class GELU(Module):
    """x * Phi(x) (approximate='none') or its tanh approximation (approximate='tanh')."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class Sigmoid(Module):
    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()


class SiLU(Module):
    """x * sigmoid(x)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)


class Softmax(Module):
    """exp(x_i) / sum_j exp(x_j) along dim."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return input.softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along dim, computed stably."""

    def forward(self, input: Tensor) -> Tensor:
        return input.log_softmax(self.dim)


# *** more activations: each a module around one nn.functional function ***


class _Elementwise(Module):
    """A module that applies `fn(input, **settings)`; its repr lists the settings."""

    fn = None

    def __init__(self, **settings):
        super().__init__()
        self.__dict__.update(settings)
        self._settings = list(settings)

    def forward(self, input: Tensor) -> Tensor:
        return type(self).fn(input, **{k: getattr(self, k) for k in self._settings})

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)}" for k in self._settings
                         if not (k == "inplace" and not getattr(self, k)))


class Hardtanh(_Elementwise):
    fn = staticmethod(F.hardtanh)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__(min_val=min_val, max_val=max_val, inplace=inplace)


class ReLU6(_Elementwise):
    fn = staticmethod(F.relu6)

    def __init__(self, inplace: bool = False):
        super().__init__(inplace=inplace)


class Hardsigmoid(ReLU6):
    fn = staticmethod(F.hardsigmoid)


class Hardswish(ReLU6):
    fn = staticmethod(F.hardswish)


class SELU(ReLU6):
    fn = staticmethod(F.selu)


class Mish(ReLU6):
    fn = staticmethod(F.mish)


class CELU(_Elementwise):
    fn = staticmethod(F.celu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(alpha=alpha, inplace=inplace)


class ELU(CELU):
    fn = staticmethod(F.elu)


class LeakyReLU(_Elementwise):
    fn = staticmethod(F.leaky_relu)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__(negative_slope=negative_slope, inplace=inplace)


class Softplus(_Elementwise):
    fn = staticmethod(F.softplus)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__(beta=beta, threshold=threshold)


class Threshold(_Elementwise):
    fn = staticmethod(F.threshold)

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__(threshold=threshold, value=value, inplace=inplace)


class Softsign(_Elementwise):
    fn = staticmethod(F.softsign)


class Tanhshrink(_Elementwise):
    fn = staticmethod(F.tanhshrink)


class LogSigmoid(_Elementwise):
    fn = staticmethod(F.logsigmoid)


class Softshrink(_Elementwise):
    fn = staticmethod(F.softshrink)

    def __init__(self, lambd: float = 0.5):
        super().__init__(lambd=lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    fn = staticmethod(F.hardshrink)


class GLU(_Elementwise):
    fn = staticmethod(F.glu)

    def __init__(self, dim: int = -1):
        super().__init__(dim=dim)


class Softmin(Softmax):
    """softmax(-x) along dim."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)


class PReLU(Module):
    """x for x > 0, a * x below, with a learned slope a (one, or one per channel)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        from ch2_lego.creation import full
        from ch2_lego.nn.parameter import Parameter

        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype, device=device))

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class CosineSimilarity(_Elementwise):
    fn = staticmethod(F.cosine_similarity)

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__(dim=dim, eps=eps)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return ""


class PairwiseDistance(_Elementwise):
    fn = staticmethod(F.pairwise_distance)

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__(norm=p, eps=eps, keepdim=keepdim)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def extra_repr(self) -> str:
        return ""
