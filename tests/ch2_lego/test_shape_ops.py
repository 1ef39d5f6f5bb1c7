"""Joining, splitting and selecting (book 2.2 and 2.5): cat, stack, split, chunk, pad, flip, roll
(2.2) and where, masked_fill, tril, triu (2.5), values and gradients against torch."""

import importlib
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# torch raises any of these for bad input; the message is what we check
ERRORS = (RuntimeError, IndexError, ValueError, TypeError)


def mod(x):
    """The module that made x, so one lambda serves torch and lego."""
    return torch if isinstance(x, torch.Tensor) else lego


# *** 1. cat, stack, split, chunk (2.2) ***


@pytest.mark.sec_2_2
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(check_op, dim):
    shapes = [(2, 3, 4), (2, 3, 4), (2, 3, 4)]
    shapes[1] = tuple(5 if i == dim % 3 else s for i, s in enumerate(shapes[1]))
    check_op(shapes, lambda *xs: mod(xs[0]).cat(xs, dim=dim))
    check_op(shapes, lambda *xs: mod(xs[0]).cat(list(xs), dim), layout="transposed")


@pytest.mark.sec_2_2
def test_cat_promotes_and_skips_nothing():
    ours = lego.cat([lego.tensor([1, 2]), lego.tensor([0.5])])
    assert ours.dtype == lego.float32 and ours.tolist() == [1.0, 2.0, 0.5]
    assert lego.cat([lego.zeros(0, 3), lego.ones(2, 3)]).shape == (2, 3)


@pytest.mark.sec_2_2
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(check_op, dim):
    check_op([(3, 4)] * 3, lambda *xs: mod(xs[0]).stack(xs, dim=dim))
    check_op([(3, 4)] * 2, lambda *xs: mod(xs[0]).stack(list(xs), dim), layout="expanded")


@pytest.mark.sec_2_2
def test_cat_and_stack_errors():
    with pytest.raises(ERRORS, match="Sizes of tensors must match except in dimension 0"):
        lego.cat([lego.zeros(2, 3), lego.zeros(2, 4)])
    with pytest.raises(ERRORS, match="stack expects each tensor to be equal size"):
        lego.stack([lego.zeros(2, 3), lego.zeros(3, 2)])
    with pytest.raises(ERRORS, match="expected a non-empty list of Tensors"):
        lego.cat([])


SPLITS = {
    "split_int": lambda x: x.split(2, dim=1),
    "split_sizes": lambda x: x.split([1, 4], dim=1),
    "split_last": lambda x: x.split(3, -1),
    "torch.split": lambda x: mod(x).split(x, 2),
    "chunk": lambda x: x.chunk(2, dim=1),
    "chunk_uneven": lambda x: x.chunk(3, dim=-1),
    "chunk_more_than_size": lambda x: x.chunk(8, 0),
    "unbind": lambda x: x.unbind(1),
}


@pytest.mark.sec_2_2
@pytest.mark.parametrize("name", list(SPLITS))
def test_split_and_chunk_are_views(name):
    a = np.arange(60.0).reshape(3, 5, 4)
    x, xt = lego.tensor(a).transpose(0, 2), torch.tensor(a).transpose(0, 2)
    ours, ref = SPLITS[name](x), SPLITS[name](xt)
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref, strict=True):
        assert tuple(o.shape) == tuple(r.shape)
        assert tuple(o.stride()) == tuple(r.stride())
        assert o.storage_offset() == r.storage_offset()
        np.testing.assert_array_equal(o.numpy(), r.numpy())


@pytest.mark.sec_2_2
@pytest.mark.parametrize("name", ["split_sizes", "chunk_uneven", "unbind"])
def test_split_grads(check_op, name):
    def fn(x):
        parts = SPLITS[name](x)
        return mod(x).cat([p.flatten() * (i + 1) for i, p in enumerate(parts)])

    check_op([(3, 5, 4)], fn)


# *** 2. pad, flip, roll (2.2) ***

PADS = [(1, 2), (0, 0, 2, 1), (1, 1, 1, 1, 1, 1), (2, 0)]


@pytest.mark.sec_2_2
@pytest.mark.parametrize("pad", PADS, ids=str)
def test_pad(check_op, F, pad):
    check_op([(2, 3, 4)], lambda x: TF.pad(x, pad), lambda x: F.pad(x, pad), layout="transposed")
    check_op([(2, 3, 4)], lambda x: TF.pad(x, pad, value=-1.5), lambda x: F.pad(x, pad, value=-1.5))


@pytest.mark.sec_2_2
@pytest.mark.parametrize("dims", [(0,), (1, 2), (-1,), (0, 1, 2)], ids=str)
def test_flip(check_op, dims):
    check_op([(2, 3, 4)], lambda x: x.flip(dims), layout="sliced")
    check_op([(2, 3, 4)], lambda x: mod(x).flip(x, dims))


@pytest.mark.sec_2_2
@pytest.mark.parametrize(
    "shifts, dims", [(1, 0), (-2, 1), (5, -1), ((1, 2), (0, 2)), (3, None)], ids=str
)
def test_roll(check_op, shifts, dims):
    fn = (lambda x: x.roll(shifts)) if dims is None else (lambda x: x.roll(shifts, dims))
    check_op([(2, 3, 4)], fn, layout="transposed")


# *** 3. where, masked_fill, tril, triu (2.5) ***


@pytest.mark.sec_2_7
@pytest.mark.parametrize("shapes", [[(3, 4)] * 2, [(3, 1), (4,)], [(2, 1, 4), (3, 1)]], ids=str)
def test_where(check_op, shapes):
    check_op(shapes, lambda x, y: mod(x).where(x > y, x, y))
    check_op(shapes, lambda x, y: mod(x).where(y > 0, x * 2, 0.5))
    check_op(shapes, lambda x, y: x.where(x > 0, y))


@pytest.mark.sec_2_7
def test_where_promotes():
    c = lego.tensor([True, False])
    ours = lego.where(c, lego.tensor([1, 2]), lego.tensor([0.5, 0.25]))
    assert ours.dtype == lego.float32 and ours.tolist() == [1.0, 0.25]
    assert lego.where(c, lego.tensor([1, 2]), 0).dtype == lego.int64


@pytest.mark.sec_2_7
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_masked_fill(check_op, layout):
    mask = np.random.default_rng(0).random((3, 4)) > 0.5

    def fn(x):
        return x.masked_fill(mod(x).tensor(mask), -7.0)

    check_op([(3, 4)], fn, layout=layout)
    check_op([(2, 3, 4)], lambda x: x.masked_fill(mod(x).tensor(mask[0]), 0.0))


@pytest.mark.sec_2_7
def test_causal_mask_then_softmax():
    """Attention's mask: -inf above the diagonal, softmax gives zeros there and no nans."""
    scores = np.random.default_rng(0).standard_normal((2, 4, 4))
    results = []
    for m in (lego, torch):
        s = m.tensor(scores, requires_grad=True)
        mask = m.tril(m.ones(4, 4)) == 0
        p = s.masked_fill(mask, float("-inf")).softmax(-1)
        (p * m.arange(4.0, dtype=m.float64)).sum().backward()
        results.append((p.detach().numpy(), s.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-15)
    assert (np.triu(results[0][0][0], 1) == 0).all()


@pytest.mark.sec_2_7
@pytest.mark.parametrize("diagonal", [0, 1, -1, 3, -5])
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu(check_op, name, diagonal):
    check_op([(4, 5)], lambda x: getattr(x, name)(diagonal), layout="transposed")
    check_op([(2, 3, 4)], lambda x: getattr(mod(x), name)(x, diagonal=diagonal))
    ours = getattr(lego, name)(lego.ones(3, 3, dtype=lego.int64), diagonal)
    ref = getattr(torch, name)(torch.ones(3, 3, dtype=torch.int64), diagonal)
    assert ours.dtype == lego.int64 and ours.tolist() == ref.tolist()


@pytest.mark.sec_2_2
@pytest.mark.parametrize("dim, size, step", [(0, 2, 1), (1, 3, 2), (-1, 2, 2), (1, 5, 1)])
def test_unfold_is_a_view_with_summed_gradients(dim, size, step):
    """Overlapping windows (step < size) read an element twice: its gradient is the sum."""
    a = np.random.default_rng(0).standard_normal((4, 5))
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, ref = x.unfold(dim, size, step), xt.unfold(dim, size, step)
    assert tuple(ours.shape) == tuple(ref.shape) and ours.stride() == ref.stride()
    assert ours.data_ptr() == x.data_ptr()  # no copy
    np.testing.assert_array_equal(ours.detach().numpy(), ref.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(ref.shape))
    (ours * lego.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    # each gradient is a sum of at most `size` products: float64 rounding, a few eps
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=0, atol=1e-14 * size)


def test_unfold_refuses_a_window_larger_than_the_dim():
    for lib in (lego, torch):
        with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 3 but "
                                               "size is 5"):
            lib.zeros(3).unfold(0, 5, 1)
