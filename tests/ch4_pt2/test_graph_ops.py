"""The ch2 op suite in graph mode (book 4.5): a representative set of ch2 tensor ops run on the
device "lazy", compiled to C kernels, against torch in float64, values and gradients.

Each case is one function written once and called with torch tensors and with ch2 tensors on
"lazy"; gradients flow back through the compiled backward graph. Tolerances are the ch2 suite's
for float64 (rtol 1e-7, atol 1e-10): the kernels compute in float64 with C's libm.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ch2_lego as lego
import ch2_lego.nn.functional as LF
import ch4_pt2

pytestmark = pytest.mark.sec_4_5


def check(shapes, fn, lego_fn=None, low=-2.0, high=2.0, grad=True, seed=0):
    """fn on torch float64 tensors and (lego_fn or fn) on ch2 tensors on "lazy"."""
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(low, high, size=s) for s in shapes]
    t_in = [torch.tensor(a, requires_grad=grad) for a in arrays]
    l_in = [lego.tensor(a, device="lazy").requires_grad_(grad) for a in arrays]
    ref, ours = fn(*t_in), (lego_fn or fn)(*l_in)
    assert str(ours.device) == "lazy"
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-7,
                               atol=1e-10)
    if not grad:
        return
    up = np.asarray(rng.standard_normal(tuple(ref.shape)))
    ref.backward(torch.tensor(up))
    ours.backward(lego.tensor(up, device="lazy"))
    for lt, tt in zip(l_in, t_in):
        assert (lt.grad is None) == (tt.grad is None)
        if tt.grad is not None:
            np.testing.assert_allclose(lt.grad.numpy(), tt.grad.numpy(), rtol=1e-7, atol=1e-10)


UNARY = {
    "neg": lambda x: -x, "exp": lambda x: x.exp(), "tanh": lambda x: x.tanh(),
    "sin": lambda x: x.sin(), "cos": lambda x: x.cos(), "abs": lambda x: x.abs(),
    "relu": lambda x: x.relu(), "sigmoid": lambda x: x.sigmoid(), "square": lambda x: x * x,
    "rdiv": lambda x: 1.0 / (x.abs() + 0.5), "pow": lambda x: (x.abs() + 0.1) ** 1.5,
    "log": lambda x: (x.abs() + 0.1).log(), "sqrt": lambda x: (x.abs() + 0.1).sqrt(),
    "clamp": lambda x: x.clamp(-0.5, 0.7),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary(name):
    check([(3, 4)], UNARY[name])


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 0.5), "maximum": lambda a, b: a.maximum(b)
    if hasattr(a, "maximum") else torch.maximum(a, b),
    "where": lambda a, b: (a > b).float().double() * a + (a <= b).double() * b,
}


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(2, 3, 4), (3, 1)], [(4,), (2, 1, 4)]])
def test_binary_broadcasting(name, shapes):
    check(shapes, BINARY[name])


REDUCE = {
    "sum": lambda x: x.sum(), "sum_dim": lambda x: x.sum(1), "mean_keep": lambda x: x.mean(
        -1, keepdim=True), "max_dim": lambda x: x.max(1)[0] if isinstance(x, torch.Tensor)
    else x.max(1)[0], "amax": lambda x: x.amax(0), "var": lambda x: x.var(1),
    "logsumexp": lambda x: x.logsumexp(1), "prod": lambda x: (x.abs() + 0.5).prod(2),
}


@pytest.mark.parametrize("name", list(REDUCE))
def test_reductions(name):
    check([(2, 5, 3)], REDUCE[name])


MOVEMENT = {
    "permute": lambda x: x.permute(2, 0, 1) * 2, "transpose_reshape":
        lambda x: x.transpose(0, 1).reshape(3, 8) + 1,
    "slice": lambda x: x[:, 1:3, ::2].exp(), "index_int": lambda x: x[1] * x[0],
    "expand": lambda x: x[:, :1].expand(2, 3, 4) * x, "flip": lambda x: x.flip(2) - x,
    "cat": lambda x: (lego if not isinstance(x, torch.Tensor) else torch).cat(
        [x, x * 2], dim=1).sin(), "stack": lambda x: (lego if not isinstance(x, torch.Tensor)
                                                      else torch).stack([x, -x], 0).tanh(),
    "unsqueeze_squeeze": lambda x: x.unsqueeze(1).squeeze(1).sum(0),
}


@pytest.mark.parametrize("name", list(MOVEMENT))
def test_movement(name):
    check([(2, 3, 4)], MOVEMENT[name])


def test_pad():
    check([(2, 3)], lambda x: TF.pad(x, (1, 2, 0, 1), value=0.5).exp(),
          lambda x: LF.pad(x, (1, 2, 0, 1), value=0.5).exp())


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 5)], [(2, 3, 4), (2, 4, 5)], [(2, 3, 4), (4,)]])
def test_matmul(shapes):
    check(shapes, lambda a, b: a @ b)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "gelu", "layer_norm", "linear"])
def test_functional(fn):
    cases = {
        "softmax": ([(3, 7)], lambda x: TF.softmax(x, -1), lambda x: LF.softmax(x, -1)),
        "log_softmax": ([(3, 7)], lambda x: TF.log_softmax(x, 0),
                        lambda x: LF.log_softmax(x, 0)),
        "gelu": ([(3, 7)], lambda x: TF.gelu(x, approximate="tanh"),
                 lambda x: LF.gelu(x, approximate="tanh")),
        "layer_norm": ([(2, 3, 8), (8,), (8,)], lambda x, w, b: TF.layer_norm(x, (8,), w, b),
                       lambda x, w, b: LF.layer_norm(x, (8,), w, b)),
        "linear": ([(4, 6), (5, 6), (5,)], TF.linear, LF.linear),
    }
    shapes, t_fn, l_fn = cases[fn]
    check(shapes, t_fn, l_fn)


def test_cross_entropy_with_ignored_targets():
    target = np.array([1, 4, -100, 0])
    check([(4, 5)], lambda x: TF.cross_entropy(x, torch.tensor(target)),
          lambda x: LF.cross_entropy(x, lego.tensor(target).to("lazy")))


def test_embedding_and_its_gradient():
    idx = np.array([[0, 3, 3], [5, 1, 0]])
    check([(6, 4)], lambda w: TF.embedding(torch.tensor(idx), w),
          lambda w: LF.embedding(lego.tensor(idx).to("lazy"), w))


def test_causal_mask_attention_scores():
    def scores(q, k):
        lib = torch if isinstance(q, torch.Tensor) else lego
        att = q @ k.transpose(-2, -1) / 2.0
        mask = lib.tril(lib.ones(4, 4, dtype=lib.bool, device=q.device))
        return att.masked_fill(~mask, float("-inf")).softmax(-1)
    check([(2, 4, 3), (2, 4, 3)], scores)


def test_argmax_and_comparisons_need_no_grad():
    check([(3, 6)], lambda x: x.argmax(1), grad=False)
    check([(3, 6)], lambda x: (x > 0.3).sum(1), grad=False)


def test_in_place_updates_are_functionalized():
    a = np.arange(12.0).reshape(3, 4)
    t = torch.tensor(a)
    ours = lego.tensor(a).to("lazy")
    view_t, view_o = t[1:, 2:], ours[1:, 2:]
    for x in (view_t, view_o):
        x.mul_(10)  # writes through a view into the base
    t.add_(1)
    ours.add_(1)
    np.testing.assert_array_equal(ours.numpy(), t.numpy())
    np.testing.assert_array_equal(view_o.numpy(), view_t.numpy())
    assert ours._version == t._version


def test_a_strided_write_that_is_no_box_still_works():
    a = np.arange(16.0).reshape(4, 4)
    t, ours = torch.tensor(a), lego.tensor(a).to("lazy")
    for x in (t, ours):
        x[:, ::2].fill_(-1.0)  # stride 2 in the last dim: no box of the storage
    np.testing.assert_array_equal(ours.numpy(), t.numpy())


def test_printing_runs_the_graph_and_shows_torchs_text():
    a = np.arange(6.0).reshape(2, 3)
    want = repr(torch.tensor(a).exp() * 2 + 1)
    before = ch4_pt2.stats["realizes"]
    got = repr(lego.tensor(a, device="lazy").exp() * 2 + 1)
    assert ch4_pt2.stats["realizes"] == before + 1
    assert got == want.replace("dtype=torch.", "device='lazy', dtype=ch2_lego.")


def test_realize_and_stats_count_kernels():
    x = lego.randn(8, 8).to("lazy")
    y = (x * 2 + 1).tanh().sum(1)
    ch4_pt2.realize(y)
    assert ch4_pt2.stats["last_kernels"] == 1


@pytest.mark.parametrize("dim", [0, 1])
def test_cumsum_is_a_masked_reduction_in_numpys_order(dim):
    check([(4, 7)], lambda x: x.cumsum(dim))
    a = np.random.default_rng(3).standard_normal((4, 7)).astype(np.float32)
    got = lego.tensor(a, device="lazy").cumsum(dim).numpy()
    # float32 accumulates in float64 (as torch and eager ch2): the same additions, rounded once
    np.testing.assert_array_equal(got, np.cumsum(a.astype(np.float64), dim).astype(np.float32))


def test_arange_on_the_lazy_device():
    np.testing.assert_array_equal(lego.arange(3, 11, 2, device="lazy").numpy(),
                                  torch.arange(3, 11, 2).numpy())


def test_mixing_devices_is_pytorchs_error():
    with pytest.raises(lego.errors.DeviceError, match="Expected all tensors to be on the same"):
        lego.ones(3, device="lazy") + lego.ones(3)
    with pytest.raises(lego.errors.DeviceError, match="Expected all tensors to be on the same"):
        lego.ones(3, 2, device="lazy") @ lego.ones(2, 4)


def lib_of(x):
    return torch if isinstance(x, torch.Tensor) else lego


def fn_of(x):
    return TF if isinstance(x, torch.Tensor) else LF


def on(x, data):
    """An index tensor on x's device (cpu for torch, lazy for ours)."""
    return lib_of(x).tensor(data, device=x.device)


MORE = {  # more of the ch2 op suite: ([shapes], fn called with torch and with ch2 tensors)
    "expm1": ([(3, 4)], lambda x: x.expm1()),
    "log1p": ([(3, 4)], lambda x: x.abs().log1p()),
    "exp2": ([(3, 4)], lambda x: x.exp2()),
    "rsqrt": ([(3, 4)], lambda x: (x.abs() + 0.1).rsqrt()),
    "erf": ([(3, 4)], lambda x: x.erf()),
    "floor_ceil_round": ([(3, 4)], lambda x: x.floor() + x.ceil() * 2 + (x * 3).round()),
    "sign": ([(3, 4)], lambda x: x.sign() * x),
    "silu": ([(3, 4)], lambda x: fn_of(x).silu(x)),
    "softplus": ([(3, 4)], lambda x: fn_of(x).softplus(x)),
    "elu": ([(3, 4)], lambda x: fn_of(x).elu(x)),
    "leaky_relu": ([(3, 4)], lambda x: fn_of(x).leaky_relu(x, 0.1)),
    "hardtanh": ([(3, 4)], lambda x: fn_of(x).hardtanh(x)),
    "mish": ([(3, 4)], lambda x: fn_of(x).mish(x)),
    "hardswish": ([(3, 4)], lambda x: fn_of(x).hardswish(x)),
    "lerp": ([(3, 4), (3, 4)], lambda a, b: a.lerp(b, 0.3)),
    "hypot": ([(3, 4), (3, 4)], lambda a, b: a.hypot(b)),
    "fmod": ([(3, 4), (3, 4)], lambda a, b: a.fmod(b.abs() + 0.5)),
    "remainder": ([(3, 4), (3, 4)], lambda a, b: a.remainder(b.abs() + 0.5)),
    "floor_divide": ([(3, 4), (3, 4)], lambda a, b: ((a * 3) // (b.abs() + 0.5)).detach() * a),
    "min_dim": ([(2, 5, 3)], lambda x: x.min(1)[0]),
    "std": ([(2, 5, 3)], lambda x: x.std(2)),
    "norm": ([(2, 5, 3)], lambda x: x.norm(dim=1)),
    "roll": ([(3, 5)], lambda x: x.roll(2, 1) * x),
    "tril_triu": ([(4, 4)], lambda x: x.tril() + x.triu(1) * 2),
    "repeat": ([(2, 3)], lambda x: x.repeat(2, 3).sin()),
    "gather": ([(3, 5)], lambda x: x.gather(1, on(x, [[0, 4], [2, 2], [1, 3]]))),
    "index_select": ([(5, 3)], lambda x: x.index_select(0, on(x, [4, 0, 0, 2]))),
    "advanced_index": ([(5, 3)], lambda x: x[on(x, [4, -1, 0, 4])] * 2),
    "masked_fill": ([(3, 4)], lambda x: x.masked_fill(x > 0.5, 0.0)),
    "chunk_split": ([(4, 6)], lambda x: x.chunk(2, 1)[1] * x.split(3, 1)[0]),
    "movedim": ([(2, 3, 4)], lambda x: x.movedim(0, 2).reshape(3, 8)),
    "unfold": ([(2, 9)], lambda x: x.unfold(1, 3, 2).sum(-1)),
    "conv2d": ([(1, 2, 5, 5), (3, 2, 3, 3)], lambda x, w: fn_of(x).conv2d(x, w, padding=1)),
    "max_pool2d": ([(1, 2, 4, 4)], lambda x: fn_of(x).max_pool2d(x, 2)),
    "avg_pool2d": ([(1, 2, 4, 4)], lambda x: fn_of(x).avg_pool2d(x, 2)),
    "batch_norm": ([(4, 3, 2), (3,), (3,)], lambda x, w, b: fn_of(x).batch_norm(
        x, None, None, w, b, training=True)),
    "rms_norm": ([(2, 3, 8), (8,)], lambda x, w: fn_of(x).rms_norm(x, (8,), w)),
    "mse_loss": ([(3, 4), (3, 4)], lambda a, b: fn_of(a).mse_loss(a, b)),
    "causal_sdpa": ([(1, 2, 4, 8)] * 3, lambda q, k, v: fn_of(q).scaled_dot_product_attention(
        q, k, v, is_causal=True)),
    "einsum": ([(2, 3, 4), (2, 4, 5)], lambda a, b: lib_of(a).einsum("bij,bjk->bik", a, b)),
}


@pytest.mark.parametrize("name", list(MORE))
def test_more_of_the_op_suite(name):
    shapes, fn = MORE[name]
    check(shapes, fn)
