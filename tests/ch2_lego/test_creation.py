"""Creation and randomness (book 2.1): factory functions give torch's shapes, dtypes and values;
random functions give the right shapes, ranges and statistics, and reproduce under a seed (our
stream need not equal torch's)."""

import importlib
import os
import warnings

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# torch raises any of these for bad input; the message is what we check
ERRORS = (RuntimeError, IndexError, ValueError, TypeError)

pytestmark = pytest.mark.sec_2_1


def name(dtype):
    return str(dtype).split(".")[-1]


# *** 1. factories ***

FACTORIES = {
    "zeros": lambda m: m.zeros(2, 3),
    "zeros_tuple": lambda m: m.zeros((2, 3), dtype=m.int64),
    "zeros_0d": lambda m: m.zeros(()),
    "ones": lambda m: m.ones(4, dtype=m.float64),
    "ones_list": lambda m: m.ones([2, 1, 2], dtype=m.bool),
    "full": lambda m: m.full((2, 2), 3.5),
    "full_int": lambda m: m.full((3,), 7),
    "full_bool": lambda m: m.full((2,), True),
    "arange_int": lambda m: m.arange(5),
    "arange_start_end": lambda m: m.arange(2, 9, 3),
    "arange_neg_step": lambda m: m.arange(5, -3, -2),
    "arange_float": lambda m: m.arange(0, 1, 0.25),
    "arange_float_end": lambda m: m.arange(4.0),
    "arange_dtype": lambda m: m.arange(6, dtype=m.float64),
    "linspace": lambda m: m.linspace(-1, 1, 5),
    "linspace_one": lambda m: m.linspace(2, 3, 1),
    "linspace_f64": lambda m: m.linspace(0, 1, 7, dtype=m.float64),
    "eye": lambda m: m.eye(3),
    "eye_rect": lambda m: m.eye(2, 4, dtype=m.int64),
    "zeros_like": lambda m: m.zeros_like(m.tensor([[1, 2]])),
    "ones_like": lambda m: m.ones_like(m.tensor([1.5, 2.0], dtype=m.float64)),
    "full_like": lambda m: m.full_like(m.tensor([1, 2, 3]), 9),
    "ones_like_dtype": lambda m: m.ones_like(m.tensor([1, 2]), dtype=m.float32),
    "tensor_nested": lambda m: m.tensor([[[1.0], [2.0]], [[3.0], [4.0]]]),
}


@pytest.mark.parametrize("fn", list(FACTORIES))
def test_factory(fn, bounds):
    ours, ref = FACTORIES[fn](lego), FACTORIES[fn](torch)
    assert tuple(ours.shape) == tuple(ref.shape)
    assert name(ours.dtype) == name(ref.dtype)
    assert tuple(ours.stride()) == tuple(ref.stride())
    if ours.dtype.is_floating_point:  # start + i * step: two roundings at the range's magnitude
        scale = float(np.abs(ref.numpy()).max(initial=0.0))
        bounds.check(ours.numpy(), ref.numpy(), bounds.op(ref.numpy(), ref.dtype, 4, scale))
    else:
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.empty(3, 4),
        lambda m: m.empty((2, 5), dtype=m.int64),
        lambda m: m.empty_like(m.zeros(2, 3, dtype=m.float64)),
    ],
)
def test_empty_has_shape_and_dtype(fn):
    ours, ref = fn(lego), fn(torch)
    assert tuple(ours.shape) == tuple(ref.shape) and name(ours.dtype) == name(ref.dtype)


def test_factory_options():
    x = lego.zeros(2, 3, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad is None
    assert str(lego.zeros(1, device="cpu").device) == "cpu"
    assert lego.zeros(1).device == lego.device("cpu")
    assert lego.ones_like(x).requires_grad is False


def test_like_of_a_view_keeps_its_shape_and_dtype():
    base = lego.zeros(3, 4, dtype=lego.int32).t()[::2]
    for like in (lego.zeros_like(base), lego.ones_like(base), lego.full_like(base, 2)):
        assert tuple(like.shape) == (2, 3) and like.dtype == lego.int32


def test_tensor_copies_its_input():
    a = np.zeros(3)
    x = lego.tensor(a)
    a[0] = 1.0
    assert x[0].item() == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch suggests x.clone() here
        y = lego.tensor(x)
    y[1] = 2.0
    assert x[1].item() == 0.0


# *** 2. random ***


@pytest.mark.parametrize(
    "fn, dtype, low, high",
    [
        (lambda m: m.rand(300, 200), "float32", 0.0, 1.0),
        (lambda m: m.rand((20000,), dtype=m.float64), "float64", 0.0, 1.0),
        (lambda m: m.randint(3, 8, (500, 20)), "int64", 3, 7),
        (lambda m: m.randint(4, (50,)), "int64", 0, 3),
        (lambda m: m.randint(-5, 5, size=(1000,), dtype=m.int32), "int32", -5, 4),
        (lambda m: m.rand_like(m.zeros(20000, dtype=m.float64)), "float64", 0.0, 1.0),
    ],
)
def test_uniform_shapes_ranges_and_dtypes(fn, dtype, low, high):
    lego.manual_seed(0)
    ours, ref = fn(lego), fn(torch)
    assert tuple(ours.shape) == tuple(ref.shape)
    assert name(ours.dtype) == name(ref.dtype) == dtype
    values = ours.numpy()
    assert values.min() >= low and values.max() <= high
    if dtype.startswith("int"):
        assert values.min() == low and values.max() == high  # every end value is hit
    else:
        assert values.max() < 1.0 and abs(values.mean() - 0.5) < 0.02  # > 6 sigma


def test_randn_statistics():
    lego.manual_seed(0)
    x = lego.randn(200, 500).numpy()
    assert x.dtype == np.float32 and x.shape == (200, 500)
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1.0) < 0.015  # > 6 sigma
    assert abs((np.abs(x) < 1).mean() - 0.6827) < 0.01  # the normal's one-sigma mass
    y = lego.randn_like(lego.zeros(3, 4, dtype=lego.float64))
    assert y.dtype == lego.float64 and tuple(y.shape) == (3, 4)


def test_randperm():
    lego.manual_seed(0)
    p = lego.randperm(50)
    assert p.dtype == lego.int64 and tuple(p.shape) == (50,)
    assert sorted(p.tolist()) == list(range(50))
    assert p.tolist() != list(range(50))


def test_manual_seed_reproduces_every_random_function():
    def draw():
        return [
            lego.rand(5).tolist(),
            lego.randn(2, 3).tolist(),
            lego.randint(0, 100, (6,)).tolist(),
            lego.randperm(8).tolist(),
            lego.multinomial(lego.tensor([0.2, 0.3, 0.5]), 6, replacement=True).tolist(),
        ]

    lego.manual_seed(1234)
    first = draw()
    lego.manual_seed(1234)
    assert draw() == first
    lego.manual_seed(4321)
    assert draw() != first


def test_generator_is_independent_of_the_global_seed():
    g = lego.Generator().manual_seed(7)
    a = lego.rand(4, generator=g).tolist()
    lego.manual_seed(0)
    lego.rand(10)
    g2 = lego.Generator()
    assert g2.manual_seed(7) is g2
    assert lego.rand(4, generator=g2).tolist() == a
    g.manual_seed(7)
    b = lego.randn(3, generator=g).tolist()
    assert lego.randn(3, generator=lego.Generator().manual_seed(7)).tolist() == b


# *** 3. multinomial ***


def test_multinomial_with_replacement_matches_the_probabilities():
    weights = np.array([1.0, 2.0, 3.0, 4.0])  # unnormalized, as torch allows
    lego.manual_seed(0)
    draws = lego.multinomial(lego.tensor(weights), 20000, replacement=True)
    assert draws.dtype == lego.int64 and tuple(draws.shape) == (20000,)
    freq = np.bincount(draws.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.02)  # > 5 sigma


def test_multinomial_rows_and_zero_probability():
    probs = lego.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    lego.manual_seed(1)
    draws = lego.multinomial(probs, 1000, replacement=True)
    assert tuple(draws.shape) == (2, 1000)
    assert set(draws[0].tolist()) == {1}
    assert set(draws[1].tolist()) == {0, 2}
    single = lego.multinomial(probs, 1)
    assert tuple(single.shape) == (2, 1) and single[0, 0].item() == 1


def test_multinomial_without_replacement_draws_distinct_indices():
    lego.manual_seed(2)
    weights = lego.tensor([5.0, 1.0, 1.0, 1.0, 0.5, 0.5])
    firsts = []
    for _ in range(1000):
        draw = lego.multinomial(weights, 4).tolist()
        assert len(set(draw)) == 4
        firsts.append(draw[0])
    # the first draw is a single categorical draw: index 0 with probability 5/9
    assert abs(np.mean(np.array(firsts) == 0) - 5 / 9) < 0.08  # 5 sigma


def test_multinomial_errors():
    with pytest.raises(ERRORS, match="cannot sample n_sample > prob_dist.size"):
        lego.multinomial(lego.tensor([0.5, 0.5]), 3)
    with pytest.raises(ERRORS, match="probability tensor contains either `inf`, `nan`"):
        lego.multinomial(lego.tensor([0.5, -0.5]), 1)
