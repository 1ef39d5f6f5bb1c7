"""Indexing (book 2.3): basic and advanced indexing, read and write, gather, scatter_add,
index_add and index_select, with values and gradients against torch."""

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


def arange_pair(shape):
    data = np.arange(int(np.prod(shape)), dtype="float64").reshape(shape)
    return lego.tensor(data), torch.tensor(data)


# Indices are built by a function of the module, so lego gets lego index tensors.
READS = {
    "int": lambda m, x: x[2],
    "neg_int": lambda m, x: x[-1, -2],
    "slices": lambda m, x: x[1:, ::2, -3:],
    "none_ellipsis": lambda m, x: x[..., None, 1],
    "list": lambda m, x: x[[0, 2, 2]],
    "tensor_1d": lambda m, x: x[m.tensor([3, 0, -1])],
    "tensor_2d": lambda m, x: x[m.tensor([[0, 1], [3, 3]])],
    "tensor_dim1": lambda m, x: x[:, m.tensor([2, 0])],
    "tensor_last": lambda m, x: x[..., m.tensor([4, 4, 1])],
    "two_tensors": lambda m, x: x[m.tensor([0, 2, 3]), m.tensor([1, 1, 0])],
    "broadcast_tensors": lambda m, x: x[m.tensor([[0], [3]]), m.tensor([1, 2, 0])],
    "tensor_slice_tensor": lambda m, x: x[m.tensor([0, 3]), :, m.tensor([4, 1])],
    "tensor_and_int": lambda m, x: x[m.tensor([1, 2]), 0],
    "slice_then_tensor": lambda m, x: x[1:3, m.tensor([2, 0, 1])],
    "mask_full": lambda m, x: x[x > 30],
    "mask_rows": lambda m, x: x[m.tensor([True, False, True, True])],
    "mask_cols": lambda m, x: x[:, m.tensor([False, True, True])],
    "mask_2d": lambda m, x: x[(x % 2 == 0).all(-1)],
    "int64_index_of_int32": lambda m, x: x[m.tensor([1, 0], dtype=m.int32)],
}


@pytest.mark.parametrize("name", list(READS))
def test_index_read(name):
    x, xt = arange_pair((4, 3, 5))
    ours, ref = READS[name](lego, x), READS[name](torch, xt)
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize("name", list(READS))
def test_index_read_of_a_transposed_tensor(name):
    x, xt = arange_pair((5, 3, 4))
    x, xt = x.permute(2, 1, 0), xt.permute(2, 1, 0)
    ours, ref = READS[name](lego, x), READS[name](torch, xt)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize("name", [n for n in READS if n != "int64_index_of_int32"])
def test_index_grads(check_op, name):
    """Gradients scatter back, adding up where an index repeats (embedding backward)."""
    check_op([(4, 3, 5)], lambda x: READS[name](torch, x), lambda x: READS[name](lego, x))


def test_len_and_iteration_walk_the_first_dim():
    x, xt = arange_pair((3, 2))
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(tuple(r.shape) == (2,) for r in rows)
    assert [r.tolist() for r in rows] == [r.tolist() for r in xt]


def test_advanced_index_copies():
    x, _ = arange_pair((4, 3))
    y = x[lego.tensor([0, 1])]
    y[0, 0] = -1.0
    assert x[0, 0].item() == 0.0


def test_embedding_lookup():
    """weight[idx] with a (B,T) index gives (B,T,C), and repeated ids accumulate their grads."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((10, 4))
    idx = np.array([[1, 2, 1], [9, 1, 0]])
    ours, ref = lego.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out, out_ref = ours[lego.tensor(idx)], ref[torch.tensor(idx)]
    assert tuple(out.shape) == (2, 3, 4)
    (out * out).sum().backward()
    (out_ref * out_ref).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), ref.grad.numpy(), rtol=1e-12)


# *** 2. writes: __setitem__ ***

WRITES = {
    "int_scalar": lambda m, x: x.__setitem__(1, -1.0),
    "slice_tensor": lambda m, x: x.__setitem__((slice(None), slice(1, 3)), m.ones(4, 2, 5)),
    "broadcast_row": lambda m, x: x.__setitem__((0,), m.arange(5.0, dtype=m.float64)),
    "step_slice": lambda m, x: x.__setitem__((slice(None, None, 2), 0), 7.0),
    "ellipsis": lambda m, x: x.__setitem__((Ellipsis, 0), -2.0),
    "tensor_index": lambda m, x: x.__setitem__(m.tensor([3, 0]), 9.0),
    "tensor_index_values": lambda m, x: x.__setitem__(
        (m.tensor([3, 0]), 1), m.tensor([[1.0] * 5, [2.0] * 5], dtype=m.float64)
    ),
    "two_tensors": lambda m, x: x.__setitem__((m.tensor([0, 2]), m.tensor([1, 2])), 5.0),
    "mask": lambda m, x: x.__setitem__(x > 40, 0.0),
    "mask_values": lambda m, x: x.__setitem__(x < 3, m.tensor([7.0, 8.0, 9.0], dtype=m.float64)),
    "int_into_float": lambda m, x: x.__setitem__(2, 3),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_index_write(name):
    x, xt = arange_pair((4, 3, 5))
    WRITES[name](lego, x)
    WRITES[name](torch, xt)
    assert x.dtype == lego.float64
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


@pytest.mark.parametrize("name", list(WRITES))
def test_index_write_into_a_view_reaches_the_base(name):
    base, base_t = arange_pair((5, 3, 4))
    WRITES[name](lego, base.permute(2, 1, 0)[:4])
    WRITES[name](torch, base_t.permute(2, 1, 0)[:4])
    np.testing.assert_array_equal(base.numpy(), base_t.numpy())


def test_setitem_is_differentiable():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    results = []
    for m in (lego, torch):
        x, v = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        y = x * 2
        y[1] = v.exp()
        (y * y).sum().backward()
        results.append((x.grad.numpy(), v.grad.numpy()))
    for ours, ref in zip(*results, strict=True):
        np.testing.assert_allclose(ours, ref, rtol=1e-12)


# *** 3. gather, scatter_add, index_add, index_select ***


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(check_op, dim):
    idx = np.random.default_rng(0).integers(0, 3, (3, 3))
    check_op(
        [(3, 4)],
        lambda x: x.gather(dim, torch.tensor(idx)),
        lambda x: x.gather(dim, lego.tensor(idx)),
        layout="transposed",
    )
    check_op(
        [(3, 4)],
        lambda x: torch.gather(x, dim, torch.tensor(idx)),
        lambda x: lego.gather(x, dim, lego.tensor(idx)),
    )


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add(check_op, dim):
    idx = np.array([[0, 1, 0, 2], [2, 2, 1, 0]])  # repeats must add up

    def fn(m):
        return lambda base, src: base.scatter_add(dim, m.tensor(idx), src)

    check_op([(3, 4), (2, 4)], fn(torch), fn(lego))


@pytest.mark.parametrize("dim", [0, 1])
def test_index_add(check_op, dim):
    idx = np.array([2, 0, 2])
    src_shape = (3, 4) if dim == 0 else (3, 3)

    def fn(m):
        return lambda base, src: base.index_add(dim, m.tensor(idx), src)

    check_op([(3, 4), src_shape], fn(torch), fn(lego))


def test_in_place_scatter_add_and_index_add():
    for m_fn in (
        lambda m, x: x.scatter_add_(0, m.tensor([[1, 1, 0]]), m.ones(1, 3, dtype=m.float64)),
        lambda m, x: x.index_add_(1, m.tensor([0, 0]), m.ones(2, 2, dtype=m.float64)),
    ):
        x, xt = arange_pair((2, 3))
        assert m_fn(lego, x) is x
        m_fn(torch, xt)
        np.testing.assert_array_equal(x.numpy(), xt.numpy())


@pytest.mark.parametrize("dim", [0, 1])
def test_index_select(check_op, dim):
    check_op(
        [(3, 4)],
        lambda x: x.index_select(dim, torch.tensor([2, 0, 2])),
        lambda x: x.index_select(dim, lego.tensor([2, 0, 2])),
    )


# *** 4. errors ***


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: x[4],
        lambda m, x: x[-5],
        lambda m, x: x[0, 3],
        lambda m, x: x[m.tensor([0, 4])],
        lambda m, x: x.__setitem__(7, 1.0),
    ],
)
def test_out_of_range_index_raises(fn):
    x, xt = arange_pair((4, 3))
    with pytest.raises(ERRORS, match="out of bounds|out of range"):
        fn(torch, xt)
    with pytest.raises(ERRORS, match="out of bounds|out of range"):
        fn(lego, x)


def test_too_many_indices_raises():
    x, _ = arange_pair((4, 3))
    with pytest.raises(ERRORS, match="too many indices"):
        x[0, 0, 0]


def test_float_index_raises():
    x, _ = arange_pair((4, 3))
    with pytest.raises(ERRORS, match="tensors used as indices must be long, int, byte or bool"):
        x[lego.tensor([0.0, 1.0])]


def test_mask_shape_mismatch_raises():
    x, _ = arange_pair((4, 3))
    with pytest.raises(ERRORS, match="mask"):
        x[lego.tensor([True, False])]


def test_gather_index_out_of_range_raises():
    x, _ = arange_pair((2, 3))
    with pytest.raises(ERRORS, match="out of bounds"):
        x.gather(1, lego.tensor([[0, 3]]))


# *** 5. properties: random basic and advanced indices ***


@st.composite
def basic_index(draw):
    """A shape and a random mix of ints, slices (any step), None and one Ellipsis."""
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    items, dim = [], 0
    used_ellipsis = False
    while dim < len(shape):
        kind = draw(st.sampled_from(["int", "slice", "slice", "none", "ellipsis"]))
        if kind == "int":
            items.append(draw(st.integers(-shape[dim], shape[dim] - 1)))
            dim += 1
        elif kind == "slice":
            start = draw(st.none() | st.integers(-6, 6))
            stop = draw(st.none() | st.integers(-6, 6))
            items.append(slice(start, stop, draw(st.none() | st.integers(1, 3))))
            dim += 1
        elif kind == "none":
            items.append(None)
        elif not used_ellipsis:
            items.append(Ellipsis)
            used_ellipsis = True
            dim = len(shape) - draw(st.integers(0, len(shape) - dim))
        if draw(st.booleans()) and not used_ellipsis:
            break  # trailing dims left out are taken whole
    return shape, tuple(items)


@settings(max_examples=50, deadline=None)
@given(basic_index())
def test_property_basic_indexing_is_a_view_with_torch_strides(case):
    shape, index = case
    x, xt = arange_pair(shape)
    ours, ref = x[index], xt[index]
    assert tuple(ours.shape) == tuple(ref.shape)
    assert tuple(ours.stride()) == tuple(ref.stride())
    assert ours.storage_offset() == ref.storage_offset()
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@settings(max_examples=40, deadline=None)
@given(basic_index(), st.floats(-100, 100, allow_nan=False))
def test_property_basic_index_assignment(case, value):
    shape, index = case
    x, xt = arange_pair(shape)
    x[index] = value
    xt[index] = value
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=2, max_size=3),
    st.data(),
)
def test_property_advanced_indexing(shape, data):
    """One or two integer-tensor indices (which broadcast), on any dims, plus their grads."""
    dims = sorted(data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1, max_size=2)))
    index_shape = data.draw(st.sampled_from([(3,), (2, 2), (1,)]))
    rng = np.random.default_rng(len(shape) * 7 + sum(dims))
    arrays = [rng.integers(-shape[d], shape[d], index_shape) for d in dims]
    ours_idx = [slice(None)] * len(shape)
    ref_idx = [slice(None)] * len(shape)
    for d, a in zip(dims, arrays, strict=True):
        ours_idx[d], ref_idx[d] = lego.tensor(a), torch.tensor(a)
    a = rng.standard_normal(shape)
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, ref = x[tuple(ours_idx)], xt[tuple(ref_idx)]
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    g = rng.standard_normal(tuple(ref.shape))
    out.backward(lego.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
