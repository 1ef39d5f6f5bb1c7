"""Storage, strides and views (book 2.1, 2.2): every view op gives torch's shape, strides and
offset, shares memory with its base, and reshape copies only when strides forbid a view."""

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

BASE = (2, 3, 4, 5)


def pair(shape=BASE, dtype="float64"):
    """The same arange tensor in lego and in torch."""
    data = np.arange(int(np.prod(shape))).astype(dtype).reshape(shape)
    return lego.tensor(data), torch.tensor(data)


def same_layout(ours, ref):
    """Shape, strides, offset, contiguity and values all agree with torch."""
    assert tuple(ours.shape) == tuple(ref.shape)
    assert tuple(ours.stride()) == tuple(ref.stride()), f"{ours.stride()} != {ref.stride()}"
    assert ours.storage_offset() == ref.storage_offset()
    assert ours.is_contiguous() == ref.is_contiguous()
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


# *** 1. storage and strides ***


@pytest.mark.sec_2_1
@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 4), (2, 1, 3), (2, 3, 4, 5)])
def test_contiguous_strides(shape):
    ours, ref = pair(shape)
    same_layout(ours, ref)
    assert ours.dim() == ref.dim() and ours.numel() == ref.numel()
    assert ours.ndim == ref.ndim
    assert tuple(ours.size()) == tuple(ref.size())


@pytest.mark.sec_2_1
def test_size_with_dim_and_element_size():
    ours, ref = pair((2, 3, 4))
    assert ours.size(1) == ref.size(1) == 3 and ours.size(-1) == 4
    assert ours.stride(0) == ref.stride(0) and ours.stride(-1) == 1
    assert ours.element_size() == 8
    assert lego.zeros(3, dtype=lego.float32).element_size() == 4
    assert lego.zeros(3, dtype=lego.int32).element_size() == 4
    assert lego.zeros(3, dtype=lego.bool).element_size() == 1


@pytest.mark.sec_2_1
def test_data_ptr_accounts_for_offset():
    x, _ = pair()
    v = x[1, 2, 3:]
    assert v.storage_offset() == 60 + 2 * 20 + 3 * 5
    assert v.data_ptr() == x.data_ptr() + v.storage_offset() * x.element_size()


# *** 2. view ops: strides equal torch's ***

VIEW_OPS = {
    "view": lambda x: x.view(6, 20),
    "view_flat": lambda x: x.view(-1),
    "view_unit_dim": lambda x: x.view(2, 3, 1, 20),
    "reshape": lambda x: x.reshape(2, 12, 5),
    "reshape_infer": lambda x: x.reshape(-1, 5),
    "permute": lambda x: x.permute(3, 1, 0, 2),
    "permute_neg": lambda x: x.permute(-1, -2, 0, 1),
    "transpose": lambda x: x.transpose(0, 2),
    "transpose_neg": lambda x: x.transpose(-1, 1),
    "T_2d": lambda x: x[0, 0].T,
    "mT": lambda x: x.mT,
    "unsqueeze": lambda x: x.unsqueeze(1),
    "unsqueeze_end": lambda x: x.unsqueeze(-1),
    "unsqueeze_front": lambda x: x.unsqueeze(0),
    "squeeze_dim": lambda x: x[:, :1].squeeze(1),
    "squeeze_all": lambda x: x[:1, :, :1].squeeze(),
    "squeeze_noop": lambda x: x.squeeze(0),
    "squeeze_tuple": lambda x: x[:1, :, :1].squeeze((0, 2)),
    "flatten": lambda x: x.flatten(),
    "flatten_mid": lambda x: x.flatten(1, 2),
    "unflatten": lambda x: x.unflatten(3, (5, 1)),
    "unflatten_infer": lambda x: x.unflatten(1, (-1, 1)),
    "int_index": lambda x: x[1],
    "int_index_neg": lambda x: x[-1, 2],
    "scalar_index": lambda x: x[1, 2, 3, 4],
    "slice_steps": lambda x: x[:, ::2, 1:, ::3],
    "slice_neg_bounds": lambda x: x[:, -2:, :-1],
    "slice_none_ellipsis": lambda x: x[1, ::2, 1:, None, ...],
    "ellipsis_last": lambda x: x[..., ::3],
    "ellipsis_first": lambda x: x[..., 1, :],
    "none_front": lambda x: x[None],
    "slice_past_end": lambda x: x[:, 1:10],
    "slice_empty": lambda x: x[:, 2:1],
    "narrow": lambda x: x.narrow(2, 1, 2),
    "narrow_neg": lambda x: x.narrow(-1, 2, 3),
    "expand": lambda x: x[:, :1].expand(2, 3, 4, 5),
    "expand_new_dims": lambda x: x.expand(3, 2, 3, 4, 5),
    "expand_minus_one": lambda x: x[:, :, :1].expand(-1, -1, 6, -1),
    "expand_then_view": lambda x: x[:, :1].expand(2, 3, 4, 5).view(2, 3, 20),
    "transpose_then_split": lambda x: x.transpose(2, 3).view(2, 3, 5, 2, 2),
    "sliced_then_view": lambda x: x[:, ::2].view(2, 2, 20),
    "permute_then_slice": lambda x: x.permute(2, 0, 3, 1)[1:, :, ::2],
    "chain": lambda x: x.transpose(0, 1)[::2].unsqueeze(2).expand(2, 2, 3, 4, 5).mT,
}


@pytest.mark.sec_2_2
@pytest.mark.parametrize("name", list(VIEW_OPS))
def test_view_strides_match_torch(name):
    x, xt = pair()
    same_layout(VIEW_OPS[name](x), VIEW_OPS[name](xt))


@pytest.mark.sec_2_2
@pytest.mark.parametrize("name", list(VIEW_OPS))
def test_views_see_writes_to_the_base(name):
    """A view copies nothing: writing into the base shows through it."""
    x, xt = pair()
    v, vt = VIEW_OPS[name](x), VIEW_OPS[name](xt)
    x.add_(1000)
    xt.add_(1000)
    same_layout(v, vt)
    assert v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()


OVERLAPPING = ("expand", "expand_new_dims", "expand_minus_one", "expand_then_view", "chain")


@pytest.mark.sec_2_2
@pytest.mark.parametrize("name", [n for n in VIEW_OPS if n not in OVERLAPPING])
def test_writes_through_views_reach_the_base(name):
    x, xt = pair()
    VIEW_OPS[name](x).mul_(-1)
    VIEW_OPS[name](xt).mul_(-1)
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


@pytest.mark.sec_2_2
def test_write_through_index_assignment():
    x, _ = pair((3, 4))
    v = x.t()[1:, ::2]
    v[0, 1] = 100.0
    assert x[2, 1].item() == 100.0


# *** 3. reshape copies only when needed; contiguous ***


@pytest.mark.sec_2_2
def test_reshape_of_contiguous_is_a_view():
    x, _ = pair()
    y = x.reshape(4, 30)
    assert y.data_ptr() == x.data_ptr()
    y[0, 0] = -7.0
    assert x[0, 0, 0, 0].item() == -7.0


@pytest.mark.sec_2_2
def test_reshape_of_transposed_copies():
    x, xt = pair((3, 4))
    y, yt = x.t().reshape(12), xt.t().reshape(12)
    same_layout(y, yt)
    y[0] = -1.0
    assert x[0, 0].item() == 0.0, "reshape that had to copy still wrote into the base"


@pytest.mark.sec_2_2
def test_view_that_strides_forbid_raises():
    x, _ = pair((3, 4))
    with pytest.raises(ERRORS, match="view size is not compatible"):
        x.t().view(12)


@pytest.mark.sec_2_2
def test_contiguous_returns_self_or_copies():
    x, xt = pair((3, 4))
    assert x.contiguous() is x
    c, ct = x.t().contiguous(), xt.t().contiguous()
    same_layout(c, ct)
    assert c.data_ptr() != x.data_ptr()
    assert not x.t().is_contiguous() and c.is_contiguous()


@pytest.mark.sec_2_2
def test_expanded_is_not_contiguous_and_contiguous_materializes():
    x, xt = pair((3, 1))
    e, et = x.expand(3, 4), xt.expand(3, 4)
    same_layout(e, et)
    same_layout(e.contiguous(), et.contiguous())


@pytest.mark.sec_2_2
def test_size_one_dims_do_not_break_contiguity():
    x, xt = pair((3, 1, 4))
    same_layout(x.transpose(0, 1), xt.transpose(0, 1))


# *** 4. properties: random permutations, slices and reshapes ***


@st.composite
def shape_and_perm(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    perm = draw(st.permutations(range(len(shape))))
    steps = [draw(st.integers(1, 3)) for _ in shape]
    starts = [draw(st.integers(0, n - 1)) for n in shape]
    return shape, tuple(perm), steps, starts


@pytest.mark.sec_2_2
@settings(max_examples=40, deadline=None)
@given(shape_and_perm())
def test_property_permute_slice_strides(case):
    shape, perm, steps, starts = case
    x, xt = pair(shape)
    index = tuple(slice(b, None, s) for b, s in zip(starts, steps, strict=True))
    same_layout(x.permute(*perm)[index], xt.permute(*perm)[index])
    same_layout(x[index].permute(perm), xt[index].permute(perm))


def factorizations(n):
    """Some shapes with n elements (n <= 120): used as reshape targets."""
    out = [(n,), (1, n), (n, 1)]
    for a in range(2, n):
        if n % a == 0:
            out.append((a, n // a))
            for b in range(2, n // a):
                if (n // a) % b == 0:
                    out.append((a, b, n // a // b))
    return out


@pytest.mark.sec_2_2
@settings(max_examples=40, deadline=None)
@given(shape_and_perm(), st.data())
def test_property_view_agrees_with_torch(case, data):
    """view succeeds exactly when torch's does, with torch's strides; reshape always matches."""
    shape, perm, _, _ = case
    x, xt = pair(shape)
    x, xt = x.permute(*perm), xt.permute(*perm)
    target = data.draw(st.sampled_from(factorizations(x.numel())))
    try:
        ref = xt.view(target)
    except RuntimeError:
        with pytest.raises(ERRORS):
            x.view(target)
    else:
        same_layout(x.view(target), ref)
    same_layout(x.reshape(target), xt.reshape(target))


@st.composite
def view_chains_from(draw, start):
    """A random chain of view ops, each valid for the shape it meets, starting from `start`."""
    shape, chain = list(start), []
    for _ in range(draw(st.integers(1, 5))):
        ndim = len(shape)
        kind = draw(st.sampled_from(["permute", "unsqueeze", "squeeze", "slice", "expand", "flat"]))
        if kind == "permute":
            perm = tuple(draw(st.permutations(range(ndim))))
            chain.append(lambda t, p=perm: t.permute(*p))
            shape = [shape[p] for p in perm]
        elif kind == "unsqueeze" and ndim < 5:
            d = draw(st.integers(-ndim - 1, ndim))
            chain.append(lambda t, d=d: t.unsqueeze(d))
            shape.insert(d % (ndim + 1), 1)
        elif kind == "squeeze" and 1 in shape and ndim > 1:
            d = shape.index(1)
            chain.append(lambda t, d=d: t.squeeze(d))
            shape.pop(d)
        elif kind == "slice":
            d, step = draw(st.integers(0, ndim - 1)), draw(st.integers(1, 2))
            index = (slice(None),) * d + (slice(None, None, step),)
            chain.append(lambda t, i=index: t[i])
            shape[d] = -(-shape[d] // step)
        elif kind == "expand" and 1 in shape:
            shape[shape.index(1)] = 3
            chain.append(lambda t, s=tuple(shape): t.expand(*s))
        elif kind == "flat":
            chain.append(lambda t: t.reshape(-1))  # a view or a copy, as torch decides
            shape = [int(np.prod(shape))]
    return chain


@pytest.mark.sec_2_2
@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_property_view_chains_match_torch_with_grads(shape, data):
    """Random chains of view ops: torch's strides at the end, and grads flow back through all."""
    chain = data.draw(view_chains_from(tuple(shape)))
    a = np.random.default_rng(0).standard_normal(shape)
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    v, vt = x, xt
    for op in chain:
        v, vt = op(v), op(vt)
    assert tuple(v.shape) == tuple(vt.shape)
    assert tuple(v.stride()) == tuple(vt.stride())
    np.testing.assert_array_equal(v.detach().numpy(), vt.detach().numpy())
    g = np.random.default_rng(1).standard_normal(tuple(vt.shape))
    v.backward(lego.tensor(g))
    vt.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
