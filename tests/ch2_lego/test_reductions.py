"""Reductions and matmul (book 2.6): every reduction with dim as int, tuple or negative and with
keepdim, values and gradients against torch in float64; matmul's 1-D, 2-D and batched rules."""

import importlib
import os

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# torch raises any of these for bad input; the message is what we check
ERRORS = (RuntimeError, IndexError, ValueError, TypeError)

pytestmark = pytest.mark.sec_2_8

SHAPE = (3, 4, 5)
DIMS = [None, 0, 1, -1, (0, 2), (-1, 1), (0, 1, 2)]

REDUCTIONS = {
    "sum": lambda x, d, k: x.sum() if d is None else x.sum(dim=d, keepdim=k),
    "mean": lambda x, d, k: x.mean() if d is None else x.mean(dim=d, keepdim=k),
    "var": lambda x, d, k: x.var() if d is None else x.var(dim=d, keepdim=k),
    "var_c0": lambda x, d, k: x.var(dim=d, correction=0, keepdim=k),
    "var_c2": lambda x, d, k: x.var(dim=d, correction=2, keepdim=k),
    "std": lambda x, d, k: x.std() if d is None else x.std(dim=d, keepdim=k),
    "std_c0": lambda x, d, k: x.std(dim=d, correction=0, keepdim=k),
    "logsumexp": lambda x, d, k: x.logsumexp(dim=(0, 1, 2) if d is None else d, keepdim=k),
    "amax": lambda x, d, k: x.amax(dim=() if d is None else d, keepdim=k),
    "amin": lambda x, d, k: x.amin(dim=() if d is None else d, keepdim=k),
}

# these take one dim only in torch
SINGLE_DIM = {
    "prod": lambda x, d, k: x.prod() if d is None else x.prod(dim=d, keepdim=k),
    "max_values": lambda x, d, k: x.max() if d is None else x.max(dim=d, keepdim=k).values,
    "min_values": lambda x, d, k: x.min() if d is None else x.min(dim=d, keepdim=k).values,
    "max_index0": lambda x, d, k: x.max() if d is None else x.max(d, keepdim=k)[0],
    "torch.max": lambda x, d, k: x.max() if d is None else lego_or_torch(x).max(x, d, k)[0],
}


def lego_or_torch(x):
    """The module that made x, so one lambda can call torch.max or lego.max."""
    return torch if isinstance(x, torch.Tensor) else lego


# *** 1. reductions: dims, keepdim, gradients ***


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction(check_op, name, dim, keepdim):
    fn = REDUCTIONS[name]
    check_op([SHAPE], lambda x: fn(x, dim, keepdim), layout="transposed")


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, -1, -3])
@pytest.mark.parametrize("name", list(SINGLE_DIM))
def test_single_dim_reduction(check_op, name, dim, keepdim):
    fn = SINGLE_DIM[name]
    check_op([SHAPE], lambda x: fn(x, dim, keepdim), layout="sliced", low=0.5, high=1.5)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "expanded"])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "logsumexp", "amax"])
def test_reduction_layouts(check_op, name, layout):
    fn = REDUCTIONS[name]
    check_op([(4, 6)], lambda x: fn(x, 1, False), layout=layout)


def test_torch_namespace_reductions(check_op):
    check_op([SHAPE], lambda x: torch.sum(x, 1), lambda x: lego.sum(x, 1))
    check_op([SHAPE], lambda x: torch.mean(x, (0, 2)), lambda x: lego.mean(x, (0, 2)))
    check_op([SHAPE], lambda x: torch.logsumexp(x, -1), lambda x: lego.logsumexp(x, -1))
    check_op([SHAPE], lambda x: torch.prod(x, 0), lambda x: lego.prod(x, 0))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_indices(name, dim):
    a = np.random.default_rng(0).permutation(60).reshape(3, 4, 5).astype("float64")
    ours, ref = getattr(lego.tensor(a), name)(dim), getattr(torch.tensor(a), name)(dim)
    values, indices = ours  # a named tuple that also unpacks
    assert indices.dtype == lego.int64
    np.testing.assert_array_equal(values.numpy(), ref.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), ref.indices.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 2, -2])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, dim, keepdim):
    a = np.random.default_rng(1).permutation(60).reshape(3, 4, 5).astype("float64")
    kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    ours = getattr(lego.tensor(a).transpose(0, 2), name)(**kwargs)
    ref = getattr(torch.tensor(a).transpose(0, 2), name)(**kwargs)
    assert ours.dtype == lego.int64 and tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(check_op, dim):
    check_op([(3, 4, 5)], lambda x: x.cumsum(dim), layout="transposed")
    check_op([(3, 4, 5)], lambda x: torch.cumsum(x, dim=dim), lambda x: lego.cumsum(x, dim=dim))


def test_cumsum_of_ints_is_int64():
    ours = lego.tensor([[1, 2, 3], [4, 5, 6]], dtype=lego.int32).cumsum(1)
    assert ours.dtype == lego.int64 and ours.tolist() == [[1, 3, 6], [4, 9, 15]]


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any(name, dim):
    a = np.array([[True, False, True], [True, True, True]])
    b = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    for arr in (a, b):
        kwargs = {} if dim is None else {"dim": dim}
        ours = getattr(lego.tensor(arr), name)(**kwargs)
        ref = getattr(torch.tensor(arr), name)(**kwargs)
        assert ours.dtype == lego.bool
        assert ours.tolist() == ref.tolist()


def test_logsumexp_is_stable():
    a = np.array([[1000.0, 1000.0, -1000.0], [-1000.0, -999.0, -1001.0]])
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, ref = x.logsumexp(1), xt.logsumexp(1)
    # m + log(sum exp(x - m)) with m the row max: x - m is exact here, exp, a 3-term sum and log
    # each round once, and adding m rounds at |out|: a few eps of (|m| + 1), for both libraries
    eps = float(np.finfo(np.float64).eps)
    bound = 2 * 4 * eps * (np.abs(a).max(1) + 1)
    assert (np.abs(out.detach().numpy() - ref.detach().numpy()) <= bound).all()
    out.sum().backward()
    ref.sum().backward()
    # the gradient is softmax = exp(x - out): an error d in out is a relative error d in it;
    # exp(-2000) underflows to exactly 0 in both
    rel = bound[:, None] + 2 * eps
    assert (np.abs(x.grad.numpy() - xt.grad.numpy()) <= rel * np.abs(xt.grad.numpy())).all()


def test_sum_dtypes_follow_torch():
    assert lego.tensor([1, 2, 3], dtype=lego.int32).sum().dtype == lego.int64
    assert lego.tensor([True, True, False]).sum().dtype == lego.int64
    assert lego.tensor([True, True, False]).sum().item() == 2
    assert lego.tensor([1.0, 2.0], dtype=lego.float32).sum().dtype == lego.float32
    assert lego.tensor([1.5, 2.0]).mean().item() == 1.75


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.prod(1),
        lambda x: x.amax(0),
        lambda x: x.max(1).values,
        lambda x: x.min(),
        lambda x: x.sum(-1, keepdim=True),
        lambda x: x.cumsum(0),
        lambda x: x.argmax(1),
    ],
)
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_integer_reductions_keep_torch_dtypes(fn, dtype):
    a = np.array([[3, -1, 2], [0, 5, -4]])
    try:
        ref = fn(torch.tensor(a).to(getattr(torch, dtype)))
    except RuntimeError:  # e.g. torch has no argmax for bool: neither may we
        with pytest.raises(ERRORS):
            fn(lego.tensor(a).to(getattr(lego, dtype)))
        return
    ours = fn(lego.tensor(a).to(getattr(lego, dtype)))
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    assert ours.tolist() == ref.tolist()


def test_reducing_an_empty_dim():
    ours, ref = lego.zeros(0, 3).sum(0), torch.zeros(0, 3).sum(0)
    assert ours.tolist() == ref.tolist()
    assert lego.zeros(2, 0).sum().item() == 0.0


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.data(),
    st.booleans(),
)
def test_property_sum_mean_any_dims(shape, data, keepdim):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim))
    if len({d % ndim for d in dims}) != len(dims):
        return  # torch rejects a dim that appears twice; covered in test_errors
    dims = tuple(dims)
    a = np.random.default_rng(0).standard_normal(shape)
    for name in ("sum", "mean"):
        ours = getattr(lego.tensor(a), name)(dims, keepdim=keepdim)
        ref = getattr(torch.tensor(a), name)(dims, keepdim=keepdim)
        assert tuple(ours.shape) == tuple(ref.shape)
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12, atol=1e-14)


# *** 2. matmul: 1-D, 2-D and batched broadcast operands ***

MATMUL_SHAPES = [
    ((4,), (4,)),  # dot product -> 0-dim
    ((3, 4), (4,)),  # matrix-vector
    ((4,), (4, 5)),  # vector-matrix: prepend 1, then drop it
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),  # batched @ matrix
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),  # batch dims broadcast: (2,1) with (5,) -> (2,5)
    ((1, 3, 4), (6, 4, 2)),
    ((3, 1, 4), (4, 1)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(check_op, shapes):
    check_op(list(shapes), lambda a, b: a @ b)


@pytest.mark.parametrize("layout", ["transposed", "sliced", "expanded"])
@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 3))], ids=str)
def test_matmul_non_contiguous(check_op, shapes, layout):
    check_op(list(shapes), lambda a, b: a @ b, layout=layout)


def test_matmul_spellings(check_op):
    check_op([(3, 4), (4, 2)], torch.matmul, lambda a, b: lego.matmul(a, b))
    check_op([(3, 4), (4, 2)], lambda a, b: a.matmul(b))
    check_op([(3, 4), (2, 4)], lambda a, b: a @ b.T)
    check_op([(2, 3, 4), (2, 3, 4)], lambda a, b: a @ b.mT)


def test_matmul_float32_matches_float64_reference(bounds):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((64, 48)), rng.standard_normal((48, 32))
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    ours = lego.tensor(a32) @ lego.tensor(b32)
    assert ours.dtype == lego.float32
    # the float64 product of the float32 inputs is the truth; the rounding of the result is one
    # more eps at its magnitude
    truth = a32.astype(np.float64) @ b32.astype(np.float64)
    bound = bounds.dot(a32, b32, "float32") + bounds.op(truth, "float32", 1)
    bounds.check(ours.numpy(), truth, bound)


def test_matmul_of_ints():
    a, b = [[1, 2], [3, 4]], [[5], [6]]
    ours = lego.tensor(a) @ lego.tensor(b)
    assert ours.dtype == lego.int64 and ours.tolist() == [[17], [39]]


@st.composite
def broadcast_batches(draw):
    """Two batch shapes that broadcast: suffixes of one shape with some dims set to 1."""
    full = draw(st.lists(st.integers(1, 3), max_size=3))

    def one_side():
        keep = draw(st.integers(0, len(full)))
        return [draw(st.sampled_from([1, d])) for d in full[len(full) - keep :]]

    return one_side(), one_side()


@settings(max_examples=30, deadline=None)
@given(broadcast_batches(), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4))
def test_property_batched_matmul(batches, m, k, n):
    """Batch dims that broadcast give torch's shape, values and reduced gradients."""
    batch_a, batch_b = batches
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((*batch_a, m, k)), rng.standard_normal((*batch_b, k, n))
    x, y = lego.tensor(a, requires_grad=True), lego.tensor(b, requires_grad=True)
    xt, yt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, ref = x @ y, xt @ yt
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "shapes, message",
    [
        (((2, 3), (4, 5)), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
        (((2, 3), (2, 3)), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"),
        (((3,), (4,)), "inconsistent tensor size"),
        (((), (3,)), "both arguments to matmul need to be at least 1D"),
    ],
    ids=str,
)
def test_matmul_shape_errors(shapes, message):
    a, b = lego.zeros(shapes[0]), lego.zeros(shapes[1])
    with pytest.raises(ERRORS, match=message):
        a @ b


def test_batched_matmul_mismatch_raises():
    with pytest.raises(ERRORS):
        lego.zeros(2, 3, 4) @ lego.zeros(2, 5, 6)
    with pytest.raises(ERRORS):
        lego.zeros(2, 3, 4) @ lego.zeros(3, 4, 6)


PROPERTY_REDUCTIONS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k, correction=0),
    "std": lambda x, d, k: x.std(d, keepdim=k),
    "logsumexp": lambda x, d, k: x.logsumexp(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
}


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(2, 4), min_size=1, max_size=4),
    st.data(),
    st.booleans(),
    st.sampled_from(sorted(PROPERTY_REDUCTIONS)),
)
def test_property_reductions_of_permuted_slices(shape, data, keepdim, name):
    """Any reduction over any dims of a permuted, step-sliced view: values and grads."""
    ndim = len(shape)
    perm = data.draw(st.permutations(range(ndim)))
    dims = tuple(data.draw(st.sets(st.integers(0, ndim - 1), min_size=1)))
    dims = tuple(d - ndim if data.draw(st.booleans()) else d for d in dims)
    a = np.random.default_rng(0).standard_normal([2 * n for n in shape])
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    index = (slice(None, None, 2),) * ndim
    fn = PROPERTY_REDUCTIONS[name]
    out = fn(x[index].permute(*perm), dims, keepdim)
    ref = fn(xt[index].permute(*perm), dims, keepdim)
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(ref.shape))
    out.backward(lego.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
