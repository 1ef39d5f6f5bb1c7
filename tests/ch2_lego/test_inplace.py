"""In-place ops and versions (book 2.9): in-place ops write into the same storage and return self,
bump the version counter, and autograd refuses a saved tensor modified after it was saved, with
torch's messages."""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# torch raises any of these for bad input; the message is what we check
ERRORS = (RuntimeError, IndexError, ValueError, TypeError)

pytestmark = pytest.mark.sec_2_9

INPLACE = {
    "add_": lambda m, x: x.add_(m.tensor([1.0, 2.0, 3.0], dtype=m.float64)),
    "add_alpha": lambda m, x: x.add_(m.ones(3, dtype=m.float64), alpha=-2.0),
    "add_scalar": lambda m, x: x.add_(1.5),
    "sub_": lambda m, x: x.sub_(2.0),
    "mul_": lambda m, x: x.mul_(m.tensor([[2.0], [3.0]], dtype=m.float64)),
    "div_": lambda m, x: x.div_(4.0),
    "pow_": lambda m, x: x.pow_(2),
    "neg_": lambda m, x: x.neg_(),
    "exp_": lambda m, x: x.exp_(),
    "clamp_": lambda m, x: x.clamp_(1.0, 4.0),
    "zero_": lambda m, x: x.zero_(),
    "fill_": lambda m, x: x.fill_(7.0),
    "copy_": lambda m, x: x.copy_(m.tensor([[9.0, 8.0, 7.0], [6.0, 5.0, 4.0]], dtype=m.float64)),
    "copy_broadcast": lambda m, x: x.copy_(m.tensor([1.0, 2.0, 3.0], dtype=m.float64)),
    "copy_int_source": lambda m, x: x.copy_(m.tensor([[1, 2, 3], [4, 5, 6]])),
    "masked_fill_": lambda m, x: x.masked_fill_(x > 2, -1.0),
    "iadd": lambda m, x: x.__iadd__(3.0),
    "imul": lambda m, x: x.__imul__(m.tensor([2.0, 0.5, 1.0], dtype=m.float64)),
    "isub": lambda m, x: x.__isub__(1),
    "itruediv": lambda m, x: x.__itruediv__(2),
}


def base():
    a = np.arange(6, dtype="float64").reshape(2, 3)
    return lego.tensor(a), torch.tensor(a)


# *** 1. in-place ops write into the same storage ***


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_values_identity_and_storage(name):
    x, xt = base()
    ptr = x.data_ptr()
    out = INPLACE[name](lego, x)
    INPLACE[name](torch, xt)
    assert out is x and x.data_ptr() == ptr
    assert x.dtype == lego.float64
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_a_strided_view_updates_the_base(name):
    big, big_t = (m.tensor(np.arange(24.0).reshape(6, 4)) for m in (lego, torch))
    INPLACE[name](lego, big.t()[1:4:2, ::2])  # a (2, 3) view with strides (2, 8)
    INPLACE[name](torch, big_t.t()[1:4:2, ::2])
    np.testing.assert_array_equal(big.numpy(), big_t.numpy())


def test_augmented_assignment_keeps_the_object():
    x = lego.tensor([1.0, 2.0])
    alias = x
    x += 1
    x *= 3
    assert x is alias and x.tolist() == [6.0, 9.0]


def test_inplace_cannot_change_the_dtype():
    x = lego.tensor([1, 2, 3])
    with pytest.raises(ERRORS, match="result type Float can't be cast to the desired output"):
        x.add_(0.5)
    y = lego.tensor([1.0, 2.0])
    y.add_(lego.tensor([1, 1]))  # int into float is fine
    assert y.dtype == lego.float32 and y.tolist() == [2.0, 3.0]


def test_inplace_cannot_broadcast_self():
    x = lego.zeros(3)
    with pytest.raises(ERRORS, match="doesn't match the broadcast shape"):
        x.add_(lego.ones(2, 3))


# *** 2. the version counter ***


def test_version_counter_counts_writes_and_is_shared_by_views():
    x = lego.zeros(4)
    v = x[1:]
    start = x._version
    x.add_(1)
    v.mul_(2)
    x[0] = 5.0
    assert x._version == v._version == start + 3
    _ = x + 1  # out-of-place ops do not count
    assert x._version == start + 3


# *** 3. autograd refuses stale saved tensors ***


SAVES = {
    # name: (forward from leaf x and non-leaf w, which tensor the forward saved and we modify)
    "mul_saves_other": (lambda x, w: x * w, "w"),
    "div_saves_divisor": (lambda x, w: x / w, "w"),
    "pow_saves_base": (lambda x, w: w.pow(2), "w"),
    "matmul_saves_view": (lambda x, w: x.view(1, 3) @ w.view(3, 1), "w"),
    "exp_saves_result": (lambda x, w: w.exp(), "out"),
    "tanh_saves_result": (lambda x, w: w.tanh(), "out"),
    "sigmoid_saves_result": (lambda x, w: w.sigmoid(), "out"),
}


@pytest.mark.parametrize("name", list(SAVES))
def test_modified_saved_tensor_is_refused(name):
    forward, victim = SAVES[name]
    for m in (torch, lego):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = x * 1  # a non-leaf, so writing into it is allowed
        out = forward(x, w)
        (w if victim == "w" else out).add_(1)
        with pytest.raises(ERRORS, match="modified by an inplace operation"):
            out.sum().backward()


def test_modified_output_is_refused():
    for m in (torch, lego):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # exp saves its result
        y.add_(1)
        with pytest.raises(ERRORS, match="modified by an inplace operation"):
            y.sum().backward()


def test_unsaved_tensor_may_be_modified():
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    w = x * 1
    out = w + 3  # add saves nothing
    w.mul_(10)
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_inplace_on_a_non_leaf_is_differentiated(bounds):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(4)
    grads = []
    for m in (torch, lego):
        x = m.tensor(a, requires_grad=True)
        y = x * 2
        y.mul_(y.detach() + 1)  # y <- y * (y + 1), the factor is a constant
        y.add_(x)
        y.sum().backward()
        grads.append(x.grad.numpy())
    # dx = 2 (2x + 1) + 1 = 4x + 3, which cancels near x = -0.75: a few roundings at the
    # scale of its terms
    bounds.check(grads[1], grads[0], bounds.op(grads[0], "float64", 4, 4 * np.abs(a) + 3))


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ERRORS, match="a leaf Variable that requires grad"):
        x.add_(1)
    with lego.no_grad():  # what an optimizer step does
        x.sub_(0.5 * lego.ones(2))
    assert x.tolist() == [0.5, 1.5] and x.requires_grad and x.is_leaf


def test_fill_of_uninitialized_memory_that_requires_grad():
    """nn.init.zeros_ on a Parameter made by empty(): the old contents (maybe nan) must not leak
    into the value, and the gradient to the old value is zero, as torch's fill_."""
    x = lego.tensor([float("nan"), float("inf"), 1.0], requires_grad=True)
    with lego.no_grad():
        x.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]
    y = x.clone()
    y.fill_(2.0)
    (y * x).sum().backward()
    assert y.tolist() == [2.0, 2.0, 2.0] and x.grad.tolist() == [2.0, 2.0, 2.0]
