"""ch2_lego: a PyTorch-like tensor library with autograd, built on numpy; `import ch2_lego as
torch` runs ordinary PyTorch code.

Layers, bottom up: storage.py (Storage, View and the stride rules), dtype.py (promotion),
backend.py (the primitive ops, the device contract and the dispatcher; ops_cpu.py registers
"cpu"), buffer.py (Buffer: storage + view + dtype + device, the functional API under the
Functions) and decompositions.py (non-core ops from core ones), autograd.py (graph and
backward), function.py, function_movement.py and function_fused.py (the Functions: forwards on
Buffers, backwards in Tensor ops), tensor.py with its mixins tensor_movement.py,
tensor_indexing.py, tensor_math.py, tensor_reduce.py, tensor_inplace.py and tensor_extras.py (the
front end), creation.py, tensor_functions.py, generator.py and rand.py, functional.py; then
nn, optim, utils and models. Each module imports only the ones before it.
"""
# ruff: noqa: F401 (this file is the namespace: it imports in order to export)

import builtins
import math as _math

from ch2_lego import autograd, backend, functional
from ch2_lego import rand as random  # torch.random
from ch2_lego.backend import register, register_device
from ch2_lego.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    scalar_tensor,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from ch2_lego.dtype import (
    DType as dtype,
)
from ch2_lego.dtype import (
    bfloat16,
    can_cast,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
)
from ch2_lego.dtype import (
    bool_ as bool,  # noqa: A001 (torch.bool shadows the builtin inside this namespace too)
)
from ch2_lego.errors import (
    AutogradError,
    DeviceError,
    DTypeError,
    InvalidArgumentError,
    OutOfRangeError,
    ShapeError,
    UnsupportedOpError,
)
from ch2_lego.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ch2_lego.rand import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from ch2_lego.storage import Size, Storage, View
from ch2_lego.tensor import Tensor, device
from ch2_lego.tensor_functions import (
    argwhere,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    bincount,
    bucketize,
    column_stack,
    diag,
    dstack,
    einsum,
    exp2,
    histc,
    histogram,
    hstack,
    isin,
    meshgrid,
    searchsorted,
    std_mean,
    unique,
    var_mean,
    vstack,
)
from ch2_lego.tensor_math import where
from ch2_lego.tensor_movement import cat, stack
from ch2_lego.tensor_str import set_printoptions

float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
half = float16
inf, nan, pi, e = _math.inf, _math.nan, _math.pi, _math.e
concat = concatenate = cat


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def get_num_threads() -> int:
    """The cpu kernels are numpy's: one Python thread, BLAS with its own (OPENBLAS_NUM_THREADS)."""
    return 1


def set_num_threads(n: int) -> None:
    """Accepted for scripts that set it; numpy's BLAS reads its thread count from the
    environment at start-up."""


def is_floating_point(x: Tensor) -> bool:
    return x.is_floating_point()


def numel(x: Tensor) -> int:
    return x.numel()


def _method(name):
    """torch.exp(x, ...) is x.exp(...): the functional form of each Tensor method."""
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"torch.{name}(input, ...) == input.{name}(...)"
    return fn


for _name in ("add sub mul div pow neg abs exp log log2 log10 log1p expm1 sqrt rsqrt sin cos "
              "tan tanh sigmoid relu erf sign floor ceil round trunc clamp clip maximum "
              "minimum remainder eq ne lt le gt ge logical_and logical_or logical_xor "
              "logical_not isnan isinf isfinite sum mean prod amax amin max min argmax argmin "
              "var std logsumexp cumsum all any norm matmul mm bmm dot mv outer reshape "
              "permute transpose swapaxes squeeze unsqueeze flatten unflatten narrow "
              "movedim split chunk unbind select gather scatter_add index_select index_add "
              "masked_fill flip roll tril triu clone detach square reciprocal "
              "softmax log_softmax t sort argsort topk nonzero "
              "sinh cosh asinh acosh atanh frac fmod lerp hypot logit xlogy signbit sgn "
              "nan_to_num isclose bitwise_and bitwise_or bitwise_xor bitwise_not "
              "bitwise_left_shift bitwise_right_shift nansum nanmean count_nonzero aminmax "
              "addmm addmv baddbmm diagonal trace tile repeat_interleave rot90 fliplr flipud "
              "masked_select take take_along_dim index_fill as_strided clamp_min "
              "clamp_max scatter median kthvalue quantile negative absolute true_divide "
              "deg2rad rad2deg addcmul addcdiv fmax fmin logaddexp dist inner diff moveaxis "
              "ravel cumprod").split():
    globals()[_name] = _method(_name)
del _name


def broadcast_tensors(*tensors):
    from ch2_lego.storage import broadcast_shape

    shape = broadcast_shape(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    from ch2_lego.storage import broadcast_shape

    return Size(broadcast_shape(*(tuple(s) for s in shapes)))


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    import numpy as _np

    return _np.allclose(a.detach().numpy(), b.detach().numpy(), rtol, atol, equal_nan)


def equal(a, b) -> bool:
    return a.equal(b)


from ch2_lego import nn, optim, utils  # noqa: E402,F401 (filled by chapter 2 part 2)
from ch2_lego.checkpoint import load, save  # noqa: E402,F401 (torch.save / torch.load)

# isort: split
# torch.cuda, torch.amp, torch.backends, ... as scripts use them on a machine without CUDA.
from ch2_lego import accelerator, amp, backends, cuda, distributed  # noqa: E402
from ch2_lego.amp import autocast  # noqa: E402
from ch2_lego.backends import (  # noqa: E402
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)

# The project's version (pyproject.toml), not PyTorch's: a script's version checks see an old
# library and take their most basic path.
__version__ = "0.1.0"


def compile(model=None, **options):  # noqa: A001 (torch.compile shadows the builtin)
    """torch.compile(model) returns the model unchanged: ch2 is an eager interpreter; the graph
    compiler is chapter 4's (ch4_pt2), which ch2 does not import."""
    import sys

    if model is None:  # @torch.compile(...) used as a decorator factory
        return lambda fn: compile(fn, **options)
    print("ch2_lego: torch.compile is a no-op here (the compiler is chapter 4's); running eagerly",
          file=sys.stderr)
    return model
