"""Autograd on tensors (book 2.8): backward with and without a gradient, gradients through every
view op, accumulation, no_grad/enable_grad, detach, retain_grad, autograd.grad with create_graph
and hooks, each checked against torch in float64."""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# torch raises any of these for bad input; the message is what we check
ERRORS = (RuntimeError, IndexError, ValueError, TypeError)

pytestmark = pytest.mark.sec_2_5


def leaves(*shapes, seed=0):
    """Float64 leaves with the same random values in lego and torch: ([lego...], [torch...])."""
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    ours = [lego.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, ref


def grads_match(ours, ref, rtol=1e-10):
    for o, r in zip(ours, ref, strict=True):
        assert o.grad is not None
        np.testing.assert_allclose(o.grad.numpy(), r.grad.numpy(), rtol=rtol, atol=1e-12)


# *** 1. gradients through view and movement ops ***

MOVEMENT = {
    "view": lambda x: x.view(4, 6),
    "reshape_copy": lambda x: x.transpose(0, 1).reshape(-1),
    "permute": lambda x: x.permute(2, 0, 1),
    "transpose": lambda x: x.transpose(0, 2),
    "mT": lambda x: x.mT,
    "expand": lambda x: x[:, :1].expand(2, 5, 4),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "squeeze": lambda x: x[:, :1].squeeze(1),
    "flatten": lambda x: x.flatten(1),
    "unflatten": lambda x: x.unflatten(2, (2, 2)),
    "slice_steps": lambda x: x[:, ::2, 1:],
    "int_index": lambda x: x[1, -1],
    "none_ellipsis": lambda x: x[None, ..., 1],
    "narrow": lambda x: x.narrow(1, 1, 2),
    "contiguous": lambda x: x.mT.contiguous(),
    "fancy_index": lambda x: x[[1, 0, 1]],
    "mask_index": lambda x: x[x > 0],
    "index_pair": lambda x: x[[0, 1, 1], :, [3, 2, 3]],
    "flip": lambda x: x.flip(1),
    "roll": lambda x: x.roll(1, 2),
    "repeat_via_cat": lambda x: lego_or_torch(x).cat([x, x * 2], dim=1),
}


def lego_or_torch(x):
    return torch if isinstance(x, torch.Tensor) else lego


@pytest.mark.parametrize("name", list(MOVEMENT))
def test_grad_through_movement(check_op, name):
    check_op([(2, 3, 4)], MOVEMENT[name])


# *** 2. backward() ***


def test_backward_of_a_scalar_needs_no_gradient():
    (x, y), (xt, yt) = leaves((3, 4), (4,))
    ((x * y).tanh().sum() * 3).backward()
    ((xt * yt).tanh().sum() * 3).backward()
    grads_match([x, y], [xt, yt])


def test_backward_with_a_gradient_argument():
    (x,), (xt,) = leaves((3, 4))
    g = np.random.default_rng(1).standard_normal((3, 4))
    (x.exp() * 2).backward(lego.tensor(g))
    (xt.exp() * 2).backward(torch.tensor(g))
    grads_match([x], [xt])


def test_backward_of_non_scalar_without_gradient_raises():
    (x,), _ = leaves((3,))
    with pytest.raises(ERRORS, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()


def test_broadcast_grads_are_reduced_to_input_shapes():
    (a, b, c), (at, bt, ct) = leaves((4, 1, 3), (5, 1), (3,))
    ((a + b) * c).sum().backward()
    ((at + bt) * ct).sum().backward()
    assert tuple(a.grad.shape) == (4, 1, 3) and tuple(b.grad.shape) == (5, 1)
    grads_match([a, b, c], [at, bt, ct])


def test_diamond_and_reuse_accumulate_within_one_graph():
    (x,), (xt,) = leaves((3,))
    for v, mod in ((x, lego), (xt, torch)):
        y = v * v
        z = y.exp() + y.sin() + mod.maximum(y, v)
        (z * v).sum().backward()
    grads_match([x], [xt])


def test_leaf_grads_accumulate_across_backward_calls():
    (x,), (xt,) = leaves((2, 3))
    for _ in range(3):
        (x * x).sum().backward()
        (xt * xt).sum().backward()
    grads_match([x], [xt])
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy(), rtol=1e-12)
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 3.0))
    x.grad.zero_()
    assert x.grad.sum().item() == 0.0


def test_retain_graph_allows_a_second_backward():
    (x,), (xt,) = leaves((3,))
    for v in (x, xt):
        loss = (v.exp() * v).sum()
        loss.backward(retain_graph=True)
        loss.backward()
    grads_match([x], [xt])


def test_requires_grad_propagates_and_leaves_are_leaves():
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    c = lego.tensor([3.0, 4.0])
    y = x * c
    assert isinstance(y, lego.Tensor)
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert y.requires_grad and not c.requires_grad
    assert x.grad_fn is None and y.grad_fn is not None
    assert not (c * 2).requires_grad
    y.sum().backward()
    assert c.grad is None
    assert x.grad.tolist() == [3.0, 4.0]


def test_grads_have_the_dtype_of_their_leaf():
    x = lego.tensor([1.0, 2.0], dtype=lego.float32, requires_grad=True)
    (x * lego.tensor([1.0, 2.0], dtype=lego.float64)).sum().backward()
    assert x.grad.dtype == lego.float32


def test_long_chain_does_not_recurse():
    """A 3000-op chain: the topological sort must be iterative."""
    x = lego.tensor([1.0], dtype=lego.float64, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**3000], rtol=1e-9)


# *** 3. no_grad, enable_grad, detach, requires_grad_, retain_grad ***


def test_no_grad_context_and_decorator():
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    with lego.no_grad():
        y = x * 2
        assert not lego.is_grad_enabled()
    assert lego.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @lego.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    with lego.no_grad():
        with lego.enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_set_grad_enabled():
    x = lego.tensor([1.0], requires_grad=True)
    with lego.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with lego.set_grad_enabled(True):
        assert (x * 2).requires_grad


def test_detach_shares_storage_and_cuts_the_graph():
    x = lego.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert d.data_ptr() == y.data_ptr()
    (y.detach() * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]  # no grad flowed through the detached factor


def test_requires_grad_():
    x = lego.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    x.requires_grad_(False)
    assert not x.requires_grad
    y = lego.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(ERRORS, match="requires_grad flags of leaf"):
        y.requires_grad_(False)


def test_retain_grad_on_non_leaf():
    (x,), (xt,) = leaves((3,))
    y, yt = x.exp(), xt.exp()
    y.retain_grad()
    yt.retain_grad()
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    assert y.retains_grad and not x.exp().retains_grad
    np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=1e-12)
    grads_match([x], [xt])


def test_int_tensors_cannot_require_grad():
    with pytest.raises(ERRORS, match="floating point"):
        lego.tensor([1, 2], requires_grad=True)
    with pytest.raises(ERRORS, match="floating point"):
        lego.tensor([1, 2]).requires_grad_()


# *** 4. autograd.grad, create_graph, double backward ***


def test_autograd_grad_returns_grads_and_leaves_dot_grad_alone(bounds):
    (x, y), (xt, yt) = leaves((3,), (3,))
    gx, gy = lego.autograd.grad((x * y.sin()).sum(), (x, y))
    gxt, gyt = torch.autograd.grad((xt * yt.sin()).sum(), (xt, yt))
    np.testing.assert_allclose(gx.numpy(), gxt.numpy(), rtol=1e-12)  # sin y: no cancellation
    # x cos y cancels near y = pi/2: its error stays at the scale of |x|
    scale = np.abs(x.detach().numpy())
    bounds.check(gy.numpy(), gyt.numpy(), bounds.op(gyt.numpy(), "float64", 4, scale))
    assert x.grad is None and y.grad is None
    assert not gx.requires_grad


def test_autograd_grad_with_grad_outputs():
    (x,), (xt,) = leaves((2, 3))
    g = np.random.default_rng(2).standard_normal((2, 3))
    (gx,) = lego.autograd.grad(x.tanh(), x, grad_outputs=lego.tensor(g))
    (gxt,) = torch.autograd.grad(xt.tanh(), xt, grad_outputs=torch.tensor(g))
    np.testing.assert_allclose(gx.numpy(), gxt.numpy(), rtol=1e-12)


def test_double_backward_of_a_cubic():
    x = lego.tensor([1.0, -2.0, 0.5], requires_grad=True)
    (g,) = lego.autograd.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([1.0, 4.0, 0.25]))
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([1.0, -2.0, 0.5]))


def test_hessian_vector_product_through_matmul_and_tanh():
    (w, x), (wt, xt) = leaves((3, 4), (4,))
    v = np.random.default_rng(5).standard_normal((4,))
    for W, X, mod in ((w, x, lego), (wt, xt, torch)):
        (g,) = mod.autograd.grad((W @ X).tanh().sum(), X, create_graph=True)
        (g * mod.tensor(v)).sum().backward()
    grads_match([w, x], [wt, xt], rtol=1e-9)


# *** 5. hooks ***


def test_hook_on_leaf_changes_the_accumulated_grad():
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert x.grad.tolist() == [30.0, 30.0]


def test_hook_on_non_leaf_changes_what_flows_on():
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    # dL/dy = 2y = [4, 8]; the hook adds 1; then dy/dx = 2
    assert x.grad.tolist() == [10.0, 18.0]


def test_hook_returning_none_keeps_the_grad_and_remove_works():
    x = lego.tensor([1.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    handle.remove()
    (x * 2).sum().backward()
    assert calls == [1]
    assert x.grad.tolist() == [4.0]


# *** 6. subgradients at kinks and ties follow torch's conventions ***

TIES = {
    "relu_at_0": (lambda m, x: x.relu(), [-1.0, 0.0, 2.0]),
    "abs_at_0": (lambda m, x: x.abs(), [-1.0, 0.0, 2.0]),
    "clamp_at_bounds": (lambda m, x: x.clamp(0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0]),
    "maximum_tie": (lambda m, x: m.maximum(x, m.ones_like(x)), [0.0, 1.0, 2.0]),
    "max_all_tie": (lambda m, x: x.max(), [3.0, 1.0, 3.0]),
    "amax_tie": (lambda m, x: x.view(2, 2).amax(1), [3.0, 3.0, 1.0, 2.0]),
    "max_dim_tie": (lambda m, x: x.view(2, 2).max(1).values, [1.0, 2.0, 5.0, 4.0]),
    "sign_at_0": (lambda m, x: x.sign() * x, [0.0, -2.0]),
}


@pytest.mark.parametrize("name", list(TIES))
def test_subgradients_follow_torch(name):
    fn, values = TIES[name]
    grads = []
    for m in (torch, lego):
        x = m.tensor(values, dtype=m.float64, requires_grad=True)
        fn(m, x).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[1] == grads[0]
