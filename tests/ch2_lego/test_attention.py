"""F.scaled_dot_product_attention as one graph node (function_fused.py) against torch's: values
and gradients of query, key, value and a float mask, for causal and boolean masks, scales,
broadcast leading dims, grouped-query attention, rows that see no key, dropout (with the same
mask), double backward, and torch's errors for bad arguments.

Tolerances: float64 on both sides; an output element is a length-S sum of products of a softmax
(rounded in about D + S steps) with v, so the two libraries may differ by about
(D + S) eps |P| |v|, and a gradient by the same factor times the magnitudes it multiplies.
"""

import importlib
import os

import numpy as np
import pytest
import torch
import torch.nn.attention

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)
EPS64 = 2.0**-52


def bound(arrays, d: int, s: int) -> float:
    """An absolute tolerance: 16 (D + S) eps64 times the product of the operands' magnitudes."""
    mag = np.prod([1.0 + np.abs(a).max() for a in arrays if a is not None and a.size])
    return 16 * (d + s) * EPS64 * mag


def run(lib, arrays, grads, **kwargs):
    """Output and gradients of (q, k, v, mask) in library lib; arrays are float64 numpy, a mask
    of dtype bool never gets a gradient. Returns numpy arrays [out, dq, dk, dv, dmask]."""
    tensors = [None if a is None else lib.tensor(a, requires_grad=(i < 3 or
               (a.dtype != bool and grads))) for i, a in enumerate(arrays)]
    q, k, v, mask = tensors
    out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)
    g = np.cos(np.arange(out.numel())).reshape(tuple(out.shape))
    out.backward(lib.tensor(g))
    return [out.detach().numpy().copy()] + [
        None if t is None or t.grad is None else t.grad.numpy().copy() for t in tensors]


def check(arrays, grads=False, **kwargs):
    ours, ref = run(lego, arrays, grads, **kwargs), run(torch, arrays, grads, **kwargs)
    d, s = arrays[0].shape[-1], arrays[1].shape[-2]
    tol = bound([*arrays[:3], np.ones(1)], d, s)
    for name, a, b in zip(("out", "dq", "dk", "dv", "dmask"), ours, ref):
        assert (a is None) == (b is None), name
        if a is not None:
            assert a.shape == b.shape, name
            np.testing.assert_allclose(a, b, rtol=0, atol=tol, err_msg=name)


def qkv(shape_q, shape_k, shape_v, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in (shape_q, shape_k, shape_v)]


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scale", [None, 0.3])
@pytest.mark.parametrize("t_s", [(5, 5), (3, 7), (7, 3)])
def test_values_and_grads_match_torch(causal, scale, t_s):
    t, s = t_s
    check(qkv((2, 3, t, 4), (2, 3, s, 4), (2, 3, s, 6)) + [None], is_causal=causal,
          scale=scale)


@pytest.mark.parametrize("mask_shape", [(5, 6), (3, 1, 6), (2, 3, 5, 6)])
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_masks_and_the_float_masks_gradient(mask_shape, kind):
    rng = np.random.default_rng(1)
    mask = rng.random(mask_shape) > 0.4 if kind == "bool" else rng.standard_normal(mask_shape)
    if kind == "bool":
        mask[..., 0] = True
    check(qkv((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4)) + [mask], grads=True)


def test_rows_that_see_no_key_give_zero_not_nan():
    mask = np.ones((4, 6), bool)
    mask[1] = False  # query 1 sees nothing: torch's safe softmax gives 0 and zero gradients
    check(qkv((2, 2, 4, 3), (2, 2, 6, 3), (2, 2, 6, 3)) + [mask])
    fmask = np.zeros((4, 6))
    fmask[2] = -np.inf
    check(qkv((2, 2, 4, 3), (2, 2, 6, 3), (2, 2, 6, 3)) + [fmask])


@pytest.mark.parametrize("shapes", [
    ((2, 4, 5, 3), (1, 4, 6, 3), (1, 4, 6, 2)),  # batch broadcast
    ((4, 5, 3), (4, 6, 3), (4, 6, 2)),  # 3-d
    ((5, 3), (6, 3), (6, 2)),  # 2-d
    ((2, 4, 5, 3), (4, 6, 3), (4, 6, 2)),  # key and value without the batch dim
    ((2, 4, 5, 3), (2, 4, 0, 3), (2, 4, 0, 2)),  # no keys: the output is 0
])
def test_leading_dims_broadcast(shapes):
    check(qkv(*shapes) + [None])


@pytest.mark.parametrize("heads", [(4, 2, 2), (4, 1, 1), (6, 3, 1), (4, 4, 4)])
@pytest.mark.parametrize("causal", [False, True])
def test_grouped_query_attention(heads, causal):
    hq, hk, hv = heads
    check(qkv((2, hq, 5, 4), (2, hk, 5, 4), (2, hv, 5, 3)) + [None], is_causal=causal,
          enable_gqa=True)


def test_dropout_matches_torch_with_the_same_mask():
    # ch2_lego draws the keep mask as rand(*scores.shape) >= p: redraw it from the same seed
    # and give torch the same computation by hand (torch's own dropout draws another mask)
    if ORACLE == "torch":
        pytest.skip("the mask is ch2_lego's draw")
    p = 0.3
    arrays = qkv((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4))
    lego.manual_seed(7)
    ours = run(lego, arrays + [None], False, dropout_p=p)
    lego.manual_seed(7)
    keep = (lego.rand(2, 3, 5, 6) >= p).numpy()
    assert 0.2 < 1 - keep.mean() < 0.4  # about p of the weights are dropped
    q, k, v = (torch.tensor(a, requires_grad=True) for a in arrays)
    weights = torch.softmax(q @ k.transpose(-2, -1) / 2.0, -1) * torch.tensor(keep) / (1 - p)
    out = weights @ v
    out.backward(torch.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape))))
    tol = bound(arrays, 4, 6) / (1 - p)
    for a, b in zip(ours, [out, q.grad, k.grad, v.grad]):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=0, atol=tol)


def test_dropout_one_gives_zeros():
    q, k, v = (lego.tensor(a) for a in qkv((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)))
    out = lego.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert not out.numpy().any()


def test_double_backward_matches_torch():
    arrays = qkv((2, 2, 4, 3), (2, 1, 5, 3), (2, 1, 5, 3))
    results = []
    for lib in (lego, torch):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
        # torch's fused cpu kernel has no double backward: its math one (the reference) has
        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
            out = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                  enable_gqa=True)
        (dq,) = lib.autograd.grad((out * out).sum(), q, create_graph=True)
        (dq * dq).sum().backward()
        results.append([dq.detach().numpy().copy()] + [t.grad.numpy().copy() for t in (q, k, v)])
    tol = 16 * bound(arrays, 3, 5)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=0, atol=tol)


def test_one_graph_node_and_one_causal_mask():
    if ORACLE == "torch":
        pytest.skip("ch2_lego's graph and cache")
    from ch2_lego.function_fused import causal_bias
    q, k, v = (lego.tensor(a, requires_grad=True) for a in qkv((2, 2, 4, 3), (2, 2, 4, 3),
                                                              (2, 2, 4, 3)))
    out = lego.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert out.grad_fn.name() == "ScaledDotProductAttentionBackward0"
    assert [type(f).__name__ for f in out.grad_fn.next_functions][:3] == ["AccumulateGrad"] * 3
    before = causal_bias.cache_info()
    lego.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    after = causal_bias.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


BAD = {  # name: (shapes of q, k, v; keyword arguments)
    "1-d": ([(8,), (8,), (3,)], {}),
    "head size": ([(2, 4, 5, 8), (2, 4, 6, 7), (2, 4, 6, 3)], {}),
    "key and value lengths": ([(2, 4, 5, 8), (2, 4, 6, 8), (2, 4, 5, 3)], {}),
    "batch": ([(2, 4, 5, 8), (3, 4, 6, 8), (3, 4, 6, 3)], {}),
    "heads without gqa": ([(2, 4, 5, 8), (2, 2, 6, 8), (2, 2, 6, 3)], {}),
    "heads not dividing": ([(2, 4, 5, 8), (2, 3, 6, 8), (2, 3, 6, 3)], {"enable_gqa": True}),
    "mask shape": ([(2, 4, 5, 8), (2, 4, 6, 8), (2, 4, 6, 3)], {"attn_mask": "bool55"}),
    "mask dtype": ([(2, 4, 5, 8), (2, 4, 6, 8), (2, 4, 6, 3)], {"attn_mask": "int56"}),
    "mask and causal": ([(2, 4, 5, 8), (2, 4, 6, 8), (2, 4, 6, 3)],
                        {"attn_mask": "bool56", "is_causal": True}),
    "dropout": ([(2, 4, 5, 8), (2, 4, 6, 8), (2, 4, 6, 3)], {"dropout_p": 1.5}),
    "mask wider than the scores": ([(2, 4, 5, 8), (2, 4, 6, 8), (2, 4, 6, 3)],
                                   {"attn_mask": "bool3x56"}),
}
MASKS = {"bool55": ((5, 5), "bool"), "bool56": ((5, 6), "bool"), "int56": ((5, 6), "int64"),
         "bool3x56": ((3, 2, 4, 5, 6), "bool")}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_arguments_raise_torchs_errors(case):
    shapes, kwargs = BAD[case]
    errors = []
    for lib in (lego, torch):
        args = [lib.zeros(*s) for s in shapes]
        kw = dict(kwargs)
        if "attn_mask" in kw:
            shape, dtype = MASKS[kw["attn_mask"]]
            kw["attn_mask"] = lib.ones(*shape, dtype=getattr(lib, dtype))
        with pytest.raises(Exception) as info:
            lib.nn.functional.scaled_dot_product_attention(*args, **kw)
        errors.append(info.value)
    ours, ref = errors
    assert isinstance(ours, type(ref)), (type(ours), type(ref))
    # torch's message for heads not dividing ends mid-sentence ("... heads in "): a prefix
    assert str(ours).startswith(str(ref).strip()), (str(ours), str(ref))


def test_dtypes_must_agree():
    q = lego.zeros(1, 2, 3)
    with pytest.raises(RuntimeError, match="to have the same dtype"):
        lego.nn.functional.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Long"):
        lego.nn.functional.scaled_dot_product_attention(q.long(), q.long(), q.long())


WRONG_TYPES = {  # name: (positional arguments after a good query, keyword arguments)
    "key a list": (([[0.0] * 4] * 3, "q"), {}),
    "value None": (("q", None), {}),
    "mask a list": (("q", "q"), {"attn_mask": [[True] * 3] * 3}),
    "dropout a string": (("q", "q"), {"dropout_p": "0.1"}),
    "scale a string": (("q", "q"), {"scale": "2"}),
    "is_causal an int": (("q", "q"), {"is_causal": 1}),
    "enable_gqa a string": (("q", "q"), {"enable_gqa": "yes"}),
    "is_causal numpy's bool": (("q", "q"), {"is_causal": np.True_}),
}


@pytest.mark.parametrize("case", list(WRONG_TYPES))
def test_arguments_of_the_wrong_type_raise_torchs_type_error(case):
    args, kwargs = WRONG_TYPES[case]
    messages = []
    for lib in (lego, torch):
        q = lib.zeros(2, 3, 4)
        with pytest.raises(TypeError) as info:
            lib.nn.functional.scaled_dot_product_attention(
                q, *[q if a == "q" else a for a in args], **kwargs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("scale", [np.float64(0.5), np.float32(0.25), np.int64(2), 3])
def test_a_numpy_or_int_scale_works_as_a_float(scale):
    check(qkv((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4)) + [None], scale=scale)
