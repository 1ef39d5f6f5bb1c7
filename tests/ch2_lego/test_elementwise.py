"""Broadcasting and elementwise ops (book 2.5): values and gradients against torch in float64,
on contiguous and non-contiguous inputs, and hypothesis over broadcastable shapes."""

import importlib
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# torch raises any of these for bad input; the message is what we check
ERRORS = (RuntimeError, IndexError, ValueError, TypeError)

pytestmark = pytest.mark.sec_2_7

LAYOUTS = ["contiguous", "transposed", "sliced", "expanded"]

# name -> (torch fn, lego fn or None for "the same code", check_op options)
UNARY = {
    "neg": (lambda x: -x, None, {}),
    "exp": (lambda x: x.exp(), None, {}),
    "torch.exp": (torch.exp, lambda x: lego.exp(x), {}),
    "log": (lambda x: x.log(), None, {"low": 0.1, "high": 3.0}),
    "sqrt": (lambda x: x.sqrt(), None, {"low": 0.1, "high": 3.0}),
    "rsqrt": (lambda x: x.rsqrt(), None, {"low": 0.1, "high": 3.0}),
    "abs": (lambda x: x.abs(), None, {}),
    "sign": (lambda x: x.sign(), None, {}),
    "sin": (lambda x: x.sin(), None, {}),
    "cos": (lambda x: x.cos(), None, {}),
    "tan": (lambda x: x.tan(), None, {"low": -1.0, "high": 1.0}),
    "tanh": (lambda x: x.tanh(), None, {}),
    "sigmoid": (lambda x: x.sigmoid(), None, {}),
    "torch.sigmoid": (torch.sigmoid, lambda x: lego.sigmoid(x), {}),
    "relu": (lambda x: x.relu(), None, {}),
    "square": (lambda x: x * x, None, {}),
    "pow_int": (lambda x: x**2, None, {}),
    "pow_float": (lambda x: x**1.5, None, {"low": 0.1, "high": 3.0}),
    "pow_neg": (lambda x: x**-0.5, None, {"low": 0.1, "high": 3.0}),
    "rpow": (lambda x: 2.0**x, None, {}),
    "radd": (lambda x: 1.5 + x, None, {}),
    "rsub": (lambda x: 1.5 - x, None, {}),
    "rmul": (lambda x: 3 * x, None, {}),
    "rdiv": (lambda x: 1.0 / x, None, {"low": 0.5, "high": 2.0}),
    "sub_scalar": (lambda x: x - 2, None, {}),
    "div_scalar": (lambda x: x / 4, None, {}),
    "clamp_both": (lambda x: x.clamp(-0.5, 0.7), None, {}),
    "clamp_min": (lambda x: x.clamp(min=0.2), None, {}),
    "clamp_max": (lambda x: x.clamp(max=-0.1), None, {}),
    "torch.clamp": (lambda x: torch.clamp(x, -1, 1), lambda x: lego.clamp(x, -1, 1), {}),
}

FUNCTIONAL = {
    "relu": (lambda F, x: F.relu(x), {}),
    "gelu": (lambda F, x: F.gelu(x), {}),
    "gelu_tanh": (lambda F, x: F.gelu(x, approximate="tanh"), {}),
    "silu": (lambda F, x: F.silu(x), {}),
    "softplus": (lambda F, x: F.softplus(x), {"low": -25.0, "high": 25.0}),
    "sigmoid_large": (lambda F, x: x.sigmoid(), {"low": -60.0, "high": 60.0}),
    "tanh_large": (lambda F, x: x.tanh(), {"low": -40.0, "high": 40.0}),
}

BINARY = {
    "add": (lambda x, y: x + y, None, {}),
    "sub": (lambda x, y: x - y, None, {}),
    "mul": (lambda x, y: x * y, None, {}),
    "div": (lambda x, y: x / y, None, {"low": 0.5, "high": 2.0}),
    "pow": (lambda x, y: x**y, None, {"low": 0.5, "high": 2.0}),
    "add_method": (lambda x, y: x.add(y), None, {}),
    "mul_method": (lambda x, y: x.mul(y), None, {}),
    "sub_method": (lambda x, y: x.sub(y), None, {}),
    "div_method": (lambda x, y: x.div(y), None, {"low": 0.5, "high": 2.0}),
    "pow_method": (lambda x, y: x.pow(y), None, {"low": 0.5, "high": 2.0}),
    "maximum": (torch.maximum, lambda x, y: lego.maximum(x, y), {}),
    "minimum": (torch.minimum, lambda x, y: lego.minimum(x, y), {}),
    "torch.add": (torch.add, lambda x, y: lego.add(x, y), {}),
    "torch.mul": (torch.mul, lambda x, y: lego.mul(x, y), {}),
    "where": (
        lambda x, y: torch.where(x > y, x, y * 2),
        lambda x, y: lego.where(x > y, x, y * 2),
        {},
    ),
}

COMPARE = {
    "eq": lambda x, y: x == y,
    "ne": lambda x, y: x != y,
    "lt": lambda x, y: x < y,
    "le": lambda x, y: x <= y,
    "gt": lambda x, y: x > y,
    "ge": lambda x, y: x >= y,
    "eq_scalar": lambda x, y: x == 1,
    "gt_scalar": lambda x, y: x > 0,
    "lt_method": lambda x, y: x.lt(y),
    "eq_method": lambda x, y: x.eq(y),
}


# *** 1. unary ops in every layout ***


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary(check_op, name, layout):
    torch_fn, lego_fn, options = UNARY[name]
    check_op([(3, 4)], torch_fn, lego_fn, layout=layout, **options)


# 16 float32 roundings at the inputs' magnitude or the result's: a few ops per element, each within
# an ulp or two in our kernels and in torch's
FLOAT32_TOLERANCE = {"ops": 16}


@pytest.mark.parametrize("name", [n for n in UNARY if n != "rpow"] + ["rpow"])
def test_unary_float32_stays_float32(check_op, name):
    """The dtype is under test here: float32 in, float32 out, float32-accurate values."""
    torch_fn, lego_fn, options = UNARY[name]
    check_op(
        [(3, 4)], torch_fn, lego_fn, dtype="float32", grad=False, **options, **FLOAT32_TOLERANCE
    )


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_float32_stays_float32(check_op, name):
    torch_fn, lego_fn, options = BINARY[name]
    check_op(
        [(3, 4), (4,)],
        torch_fn,
        lego_fn,
        dtype="float32",
        grad=False,
        **options,
        **FLOAT32_TOLERANCE,
    )


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_activation(check_op, F, name):
    fn, options = FUNCTIONAL[name]
    check_op([(4, 5)], lambda x: fn(TF, x), lambda x: fn(F, x), layout="transposed", **options)


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "relu", "add"])
def test_zero_dim_and_empty(check_op, name):
    fn = UNARY[name][0] if name in UNARY else (lambda x: x + x)
    check_op([()], fn)
    check_op([(0, 3)], fn)


# *** 2. binary ops: layouts and broadcasting ***


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary(check_op, name, layout):
    torch_fn, lego_fn, options = BINARY[name]
    check_op([(3, 4), (3, 4)], torch_fn, lego_fn, layout=layout, **options)


BROADCAST_CASES = [
    [(3, 4), (4,)],
    [(3, 1), (1, 4)],
    [(2, 3, 4), (3, 1)],
    [(5,), (2, 1, 5)],
    [(), (2, 3)],
    [(2, 3), ()],
    [(1,), (3, 1, 2)],
    [(4, 1, 3), (1, 5, 1)],
]


@pytest.mark.parametrize("shapes", BROADCAST_CASES, ids=str)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "where"])
def test_broadcast_forward_and_grads(check_op, name, shapes):
    torch_fn, lego_fn, options = BINARY[name]
    check_op(shapes, torch_fn, lego_fn, **options)


@settings(max_examples=40, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=4))
def test_property_broadcasting(shapes):
    """x * y + z over any broadcastable shapes: torch's output shape, values and reduced grads."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes.input_shapes]
    ours = [lego.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, out_ref = ours[0] * ours[1] + ours[2], ref[0] * ref[1] + ref[2]
    assert tuple(out.shape) == tuple(out_ref.shape) == shapes.result_shape
    np.testing.assert_allclose(
        out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-12, atol=1e-12
    )
    out.sum().backward()
    out_ref.sum().backward()
    for o, r in zip(ours, ref, strict=True):
        assert tuple(o.grad.shape) == tuple(r.grad.shape)
        np.testing.assert_allclose(o.grad.numpy(), r.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shapes", [[(2, 3), (4,)], [(2, 3, 4), (3, 2, 4)], [(5,), (4,)]])
def test_broadcast_mismatch_raises(shapes):
    x, y = lego.zeros(*shapes[0]), lego.zeros(*shapes[1])
    with pytest.raises(ERRORS, match="must match the size of tensor b"):
        x + y
    with pytest.raises(ERRORS, match="must match the size"):
        torch.zeros(*shapes[0]) + torch.zeros(*shapes[1])


@pytest.mark.parametrize("shapes", [[(1, 3), (2, 1)], [(4,), (2, 4)], [(3, 1), ()]])
def test_broadcast_to_and_expand_as(shapes):
    a = np.random.default_rng(0).standard_normal(shapes[0])
    target = torch.broadcast_shapes(*shapes)
    ours = lego.tensor(a).broadcast_to(target)
    assert tuple(ours.shape) == tuple(target)
    assert tuple(ours.stride()) == tuple(torch.tensor(a).broadcast_to(target).stride())
    assert tuple(lego.broadcast_shapes(*shapes)) == tuple(target)
    like = lego.zeros(*target)
    assert tuple(lego.tensor(a).expand_as(like).shape) == tuple(target)


# *** 3. comparison and logical ops: bool results, no grads ***


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("name", list(COMPARE))
def test_compare(check_op, name, layout):
    fn = COMPARE[name]
    # values on a coarse grid so that == and != are exercised on real ties
    rng = np.random.default_rng(0)
    a, b = (
        rng.integers(-2, 3, (3, 4)).astype("float64"),
        rng.integers(-2, 3, (3, 4)).astype("float64"),
    )
    if layout == "transposed":
        ours, ref = (
            fn(lego.tensor(a.T).t(), lego.tensor(b.T).t()),
            fn(torch.tensor(a), torch.tensor(b)),
        )
    else:
        ours, ref = fn(lego.tensor(a), lego.tensor(b)), fn(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == lego.bool and ref.dtype == torch.bool
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert not ours.requires_grad


def test_compare_broadcasts_and_does_not_track_grad():
    x = lego.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    y = lego.tensor([2.0, 3.0])
    out = x < y
    assert tuple(out.shape) == (3, 2) and not out.requires_grad
    assert out.tolist() == [[True, True], [False, True], [False, False]]


LOGICAL = {
    "and": (lambda a, b: a & b, None),
    "or": (lambda a, b: a | b, None),
    "xor": (lambda a, b: a ^ b, None),
    "invert": (lambda a, b: ~a, None),
    "logical_and": (torch.logical_and, lambda a, b: lego.logical_and(a, b)),
    "logical_or": (torch.logical_or, lambda a, b: lego.logical_or(a, b)),
    "logical_not": (lambda a, b: torch.logical_not(a), lambda a, b: lego.logical_not(a)),
    "logical_xor": (torch.logical_xor, lambda a, b: lego.logical_xor(a, b)),
    "method": (lambda a, b: a.logical_and(b), None),
}


@pytest.mark.parametrize("name", list(LOGICAL))
def test_logical(name):
    torch_fn, lego_fn = LOGICAL[name]
    lego_fn = lego_fn or torch_fn
    a = np.array([[True, False, True], [False, False, True]])
    b = np.array([True, True, False])
    ours, ref = lego_fn(lego.tensor(a), lego.tensor(b)), torch_fn(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == lego.bool
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_logical_on_numbers_uses_truthiness():
    a, b = [0.0, 1.5, -2.0, 0.0], [3, 0, 1, 0]
    ours = lego.logical_or(lego.tensor(a), lego.tensor(b))
    ref = torch.logical_or(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == lego.bool
    assert ours.tolist() == ref.tolist()


# *** 4. integer arithmetic keeps integer dtypes where torch does ***


@pytest.mark.parametrize(
    "name, fn",
    [
        ("add", lambda x, y: x + y),
        ("mul", lambda x, y: x * y),
        ("sub", lambda x, y: x - y),
        ("truediv_is_float", lambda x, y: x / y),
        ("neg", lambda x, y: -x),
        ("abs", lambda x, y: x.abs()),
        ("maximum", lambda x, y: x.maximum(y)),
        ("pow", lambda x, y: x**2),
        ("scalar_float", lambda x, y: x * 0.5),
        ("clamp", lambda x, y: x.clamp(-1, 2)),
    ],
)
def test_integer_arithmetic(name, fn):
    a, b = np.array([[3, -4, 5], [7, 1, -2]]), np.array([2, 3, -1])
    ours, ref = fn(lego.tensor(a), lego.tensor(b)), fn(torch.tensor(a), torch.tensor(b))
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), ref.numpy())


# *** 5. higher-order grads through the elementwise ops (double backward) ***


@pytest.mark.parametrize(
    "name", ["exp", "log", "sqrt", "tanh", "sigmoid", "square", "pow_float", "rdiv", "sin"]
)
def test_double_backward_unary(name, bounds):
    torch_fn, lego_fn, options = UNARY[name]
    lego_fn = lego_fn or torch_fn
    a = np.random.default_rng(3).uniform(options.get("low", -2.0), options.get("high", 2.0), 5)
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (g,) = lego.autograd.grad(lego_fn(x).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(torch_fn(xt).sum(), xt, create_graph=True)
    # f' and f'' are a few libm calls and products whose terms can cancel (cos near pi/2,
    # 1 - tanh^2, ...): some tens of roundings at the scale of the largest value
    g_ref = gt.detach().numpy()
    bounds.check(g.detach().numpy(), g_ref, bounds.op(g_ref, "float64", 32, np.abs(g_ref).max()))
    (gg,) = lego.autograd.grad(g.sum(), x)
    (ggt,) = torch.autograd.grad(gt.sum(), xt)
    bounds.check(gg.numpy(), ggt.numpy(), bounds.op(ggt.numpy(), "float64", 64,
                                                    np.abs(ggt.numpy()).max()))


@pytest.mark.parametrize("name", ["mul", "div", "pow"])
def test_double_backward_binary(name, bounds):
    torch_fn, lego_fn, _ = BINARY[name]
    lego_fn = lego_fn or torch_fn
    rng = np.random.default_rng(4)
    a, b = rng.uniform(0.5, 2.0, (2, 3)), rng.uniform(0.5, 2.0, (3,))
    x, y = lego.tensor(a, requires_grad=True), lego.tensor(b, requires_grad=True)
    xt, yt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    gx, gy = lego.autograd.grad(lego_fn(x, y).sum(), (x, y), create_graph=True)
    gxt, gyt = torch.autograd.grad(torch_fn(xt, yt).sum(), (xt, yt), create_graph=True)
    (gx * gy.exp()).sum().backward()
    (gxt * gyt.exp()).sum().backward()
    for ours, ref in ((x.grad.numpy(), xt.grad.numpy()), (y.grad.numpy(), yt.grad.numpy())):
        # second derivatives summed over the broadcast rows: terms of either sign
        bounds.check(ours, ref, bounds.op(ref, "float64", 64, np.abs(ref).max()))


# *** 6. properties: random non-contiguous views as inputs ***


@st.composite
def strided_views(draw):
    """(leaf shape, index, perm): leaf[index].permute(perm) is a random non-contiguous view."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    steps = [draw(st.integers(1, 3)) for _ in shape]
    starts = [draw(st.integers(0, s - 1)) for s in steps]
    perm = tuple(draw(st.permutations(range(len(shape)))))
    leaf = tuple(n * s for n, s in zip(shape, steps, strict=True))
    index = tuple(slice(b, None, s) for b, s in zip(starts, steps, strict=True))
    return leaf, index, perm


PROPERTY_OPS = {
    "tanh_mul": lambda x, y: x.tanh() * y,
    "exp_add": lambda x, y: (x.exp() + y).relu(),
    "div_sigmoid": lambda x, y: y.sigmoid() / (x.abs() + 1),
    "sum_dim0": lambda x, y: (x * y).sum(0),
    "mean_last_keepdim": lambda x, y: (x - y).mean(-1, keepdim=True),
    "softmax": lambda x, y: x.softmax(-1) * y,
    "broadcast_row": lambda x, y: x * y[..., :1],
}


@settings(max_examples=50, deadline=None)
@given(strided_views(), st.sampled_from(sorted(PROPERTY_OPS)))
def test_property_non_contiguous_inputs(view, op):
    leaf_shape, index, perm = view
    rng = np.random.default_rng(0)
    a = rng.standard_normal(leaf_shape)
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    v, vt = x[index].permute(perm), xt[index].permute(perm)
    b = rng.standard_normal(tuple(vt.shape))
    y, yt = lego.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, ref = PROPERTY_OPS[op](v, y), PROPERTY_OPS[op](vt, yt)
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(tuple(ref.shape))
    out.backward(lego.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=1e-10, atol=1e-12)
