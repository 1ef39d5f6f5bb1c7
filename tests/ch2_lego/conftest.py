"""Shared helpers for the ch2_lego suite: the implementation under test and the torch oracle.

Oracle mode: every test module takes the implementation under test by name,
`lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))`, so
`SINGSYS_ORACLE=torch pytest tests/ch2_lego` runs the same tests with torch standing in for
ch2_lego. The whole suite passes in that mode, which shows that it encodes PyTorch's semantics.
Torch is also imported directly as the reference; in oracle mode the two are the same module.
"""

import importlib
import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)


# *** 1. converting between lego and torch ***


def dtype_name(dtype) -> str:
    """'float64' for torch.float64, ch2_lego.float64 and the like."""
    return str(dtype).split(".")[-1]


def to_numpy(t) -> np.ndarray:
    """A numpy copy of a lego or torch tensor (detached, so requires_grad does not matter)."""
    return np.array(t.detach().numpy(), copy=True)


def assert_same(ours, ref, rtol=1e-7, atol=1e-10, check_dtype=True, bound=None):
    """Check that a lego tensor matches a torch tensor in shape, dtype and values: within
    `bound` (an error bound, see section 4) if given, else within rtol/atol."""
    assert tuple(ours.shape) == tuple(ref.shape), f"shape {tuple(ours.shape)} != {tuple(ref.shape)}"
    if check_dtype:
        assert dtype_name(ours.dtype) == dtype_name(ref.dtype), f"{ours.dtype} != {ref.dtype}"
    if bound is not None:
        assert_within(to_numpy(ours), to_numpy(ref), bound)
        return
    np.testing.assert_allclose(to_numpy(ours), to_numpy(ref), rtol=rtol, atol=atol, equal_nan=True)


# *** 1b. tolerances from error bounds (the same on every CPU and BLAS) ***

EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}


def eps_of(dtype) -> float:
    """The unit roundoff's double (machine epsilon) of a lego/torch/numpy dtype or its name."""
    return EPS[dtype_name(dtype) if not isinstance(dtype, str) else dtype]


def dot_bound(a, b, dtype) -> np.ndarray:
    """What a float matmul a @ b (length-K dot products, summed in any order, as BLAS kernels of
    different CPUs do) may differ from the exact product by: K * eps * (|a| @ |b|) (Higham,
    Accuracy and Stability of Numerical Algorithms, 3.1). Shapes: a (..., M, K), b (..., K, N)."""
    a, b = np.abs(np.asarray(a, np.float64)), np.abs(np.asarray(b, np.float64))
    return a.shape[-1] * eps_of(dtype) * (a @ b)


def op_bound(ref, dtype, ops: int, scale: float = 0.0) -> np.ndarray:
    """The error of `ops` roundings per element: ops * eps * max(|ref|, scale). `scale` is the
    magnitude the computation passes through (its inputs, or a sum's terms): a result that
    cancels toward 0 (x - y, sin near pi, ...) keeps an error at that magnitude, not at its own."""
    ref = np.abs(np.nan_to_num(np.asarray(ref, np.float64), posinf=0.0, neginf=0.0))
    return ops * eps_of(dtype) * np.maximum(ref, scale)


def assert_within(ours, ref, bound, err_msg: str = "") -> None:
    """|ours - ref| <= bound elementwise; nan and infinities must match exactly."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape, f"shape {ours.shape} != {ref.shape} {err_msg}"
    special = ~np.isfinite(ref) | ~np.isfinite(ours)
    np.testing.assert_array_equal(ours[special], ref[special], err_msg=err_msg)
    excess = np.abs(ours - ref) - np.broadcast_to(bound, ref.shape)
    worst = float(excess[~special].max()) if (~special).any() else 0.0
    assert worst <= 0, f"exceeds the error bound by {worst:.3g} {err_msg}"


# *** 2. inputs in every layout ***

LAYOUTS = ["contiguous", "transposed", "sliced", "expanded"]


def leaf_shape(shape, layout):
    """The shape of the leaf tensor from which `layout` makes a view of `shape`."""
    shape = tuple(shape)
    if layout == "transposed" and len(shape) >= 2:
        return shape[:-2] + (shape[-1], shape[-2])
    if layout == "sliced" and len(shape) >= 1:
        return (2 * shape[0],) + shape[1:]
    if layout == "expanded" and len(shape) >= 1:
        return (1,) + shape[1:]
    return shape


def make_view(leaf, shape, layout):
    """Apply to a lego or torch leaf the view that turns it into an input of `shape`."""
    if layout == "transposed" and len(shape) >= 2:
        return leaf.transpose(-1, -2)
    if layout == "sliced" and len(shape) >= 1:
        return leaf[::2]
    if layout == "expanded" and len(shape) >= 1:
        return leaf.expand(*shape)
    return leaf


# *** 3. check_op: one op, same inputs, compared with torch in values, dtypes and gradients ***


def _check_op(
    shapes,
    torch_fn,
    lego_fn=None,
    *,
    layout="contiguous",
    low=-2.0,
    high=2.0,
    dtype="float64",
    grad=True,
    rtol=1e-7,
    atol=1e-10,
    seed=0,
    ops=None,
):
    """Run torch_fn on torch tensors and lego_fn (default: the same fn) on lego tensors.

    Shapes: `shapes` lists the shape of each input; inputs are uniform in [low, high), float64
    unless `dtype` says otherwise, laid out as `layout` (see LAYOUTS; leaves are what get grads).
    Compares forward values and dtypes; then, when `grad`, backpropagates the same random upstream
    gradient through both and compares the gradients of the leaves. Returns (ours, ref).
    With `ops`, values are compared within op_bound(ref, dtype, ops, scale=max(|low|, |high|))
    instead of rtol/atol: `ops` roundings at the inputs' magnitude or the result's.
    """
    lego_fn = lego_fn or torch_fn
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(low, high, size=leaf_shape(s, layout)).astype(dtype) for s in shapes]
    need_grad = grad and dtype.startswith("float")
    t_leaves = [torch.tensor(a, requires_grad=need_grad) for a in arrays]
    l_leaves = [lego.tensor(a, requires_grad=need_grad) for a in arrays]
    t_inputs = [make_view(t, s, layout) for t, s in zip(t_leaves, shapes, strict=True)]
    l_inputs = [make_view(t, s, layout) for t, s in zip(l_leaves, shapes, strict=True)]

    ref, ours = torch_fn(*t_inputs), lego_fn(*l_inputs)
    bound = None if ops is None else \
        op_bound(to_numpy(ref), dtype, ops, scale=max(abs(low), abs(high)))
    assert_same(ours, ref, rtol=rtol, atol=atol, bound=bound)
    if not need_grad or not ref.requires_grad:
        return ours, ref

    upstream = rng.standard_normal(tuple(ref.shape))
    ref.backward(torch.tensor(upstream, dtype=ref.dtype))
    ours.backward(lego.tensor(upstream).to(ours.dtype))
    for i, (lt, tt) in enumerate(zip(l_leaves, t_leaves, strict=True)):
        if tt.grad is None:
            assert lt.grad is None, f"input {i}: torch has no grad, ours does"
        else:
            assert lt.grad is not None, f"input {i}: no gradient reached the leaf"
            assert_same(lt.grad, tt.grad, rtol=rtol, atol=atol)
    return ours, ref


@pytest.fixture
def check_op():
    """The `check_op(shapes, torch_fn, lego_fn=None, **options)` helper (see _check_op)."""
    return _check_op


@pytest.fixture
def bounds():
    """Error-bound tolerances: `bounds.dot(a, b, dtype)`, `bounds.op(ref, dtype, ops, scale)`,
    `bounds.eps(dtype)` and `bounds.check(ours, ref, bound)` (section 1b)."""
    return SimpleNamespace(dot=dot_bound, op=op_bound, eps=eps_of, check=assert_within)


@pytest.fixture
def rng():
    """A seeded numpy generator, so every failure reproduces."""
    return np.random.default_rng(1234)


@pytest.fixture
def same():
    """`same(ours, ref, rtol=1e-7, atol=1e-10, check_dtype=True)`: shape, dtype and values agree."""
    return assert_same


@pytest.fixture
def np_of():
    """`np_of(t)`: a detached numpy copy of a lego or torch tensor."""
    return to_numpy


@pytest.fixture
def F():
    """The implementation's torch.nn.functional (imported late so only its users fail)."""
    return importlib.import_module(ORACLE + ".nn.functional")


# *** 4. a second device: its own memory, the core ops only, and counters ***


class DeviceMemory:
    """The second device's memory: a numpy array ch2 can reach only through the device's
    operand(), upload and download functions, as it would a GPU buffer."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    @property
    def nbytes(self) -> int:
        return self.array.nbytes


class CoreDevice:
    """A test device registered under the device contract: it implements only the CORE ops
    (the cpu's numpy kernels for them), so every other primitive reaches it decomposed; it
    counts uploads, downloads (each one a sync on a real accelerator) and kernel calls."""

    def __init__(self, name: str, contiguous_only: bool = False, storage_dtypes=None,
                 dtypes=None):
        from ch2_lego import backend
        from ch2_lego.dtype import DTYPES

        self.name, self.uploads, self.downloads = name, 0, 0
        self.calls: dict = {}
        cpu = backend.DEVICES["cpu"]
        self.device = backend.register_device(backend.Device(
            name, alloc=lambda n, d: DeviceMemory(np.empty(n, d.np)), from_numpy=self.upload,
            to_numpy=self.download, operand=self.operand,
            scalar=lambda value, d: np.array(value, d.np), dtypes=dtypes or DTYPES,
            storage_dtypes=storage_dtypes, contiguous_only=contiguous_only))
        for op in backend.CORE:
            kernel, dtypes_ = cpu.kernels[op]
            backend.register(name, op, self.counted(op, kernel), dtypes_)

    def upload(self, host: np.ndarray) -> DeviceMemory:
        self.uploads += 1
        return DeviceMemory(np.array(host, copy=True))

    def download(self, memory: DeviceMemory) -> np.ndarray:
        self.downloads += 1
        return np.array(memory.array, copy=True)

    def operand(self, storage, view) -> np.ndarray:
        data = storage.data.array
        if 0 in view.shape:
            return np.empty(view.shape, data.dtype)
        size = data.itemsize
        return np.ndarray(view.shape, data.dtype, data, view.offset * size,
                          tuple(s * size for s in view.strides))

    def counted(self, op, kernel):
        def run(out, *srcs, **kwargs):
            self.calls[op] = self.calls.get(op, 0) + 1
            if op.name == "WHERE" and srcs[0].dtype != np.bool_:  # bool kept as int32
                srcs = (srcs[0] != 0, *srcs[1:])
            kernel(out, *srcs, **kwargs)
        return run

    def reset(self) -> None:
        self.uploads, self.downloads, self.calls = 0, 0, {}


@pytest.fixture(scope="session")
def core_device():
    """The "core" device (strided operands), registered once for the session."""
    return CoreDevice("core")


@pytest.fixture(scope="session")
def dense_device():
    """The "dense" device: core ops only, contiguous operands only."""
    return CoreDevice("dense", contiguous_only=True)


@pytest.fixture(scope="session")
def narrow_device():
    """The "narrow" device stores and computes only 32-bit types, as WGSL does: int64 and bool
    are kept as int32, float64 is refused."""
    from ch2_lego.dtype import bool_, float32, int32, int64

    return CoreDevice("narrow", dtypes=[float32, int32], storage_dtypes={int64: int32,
                                                                         bool_: int32})
