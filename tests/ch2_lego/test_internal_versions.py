"""Unit tests of the version counter and the autograd engine's bookkeeping."""

import pytest

import ch2_lego as lego
from ch2_lego.autograd import toposort
from ch2_lego.errors import AutogradError


@pytest.mark.sec_2_9
def test_every_inplace_write_bumps_the_shared_counter():
    x = lego.zeros(4)
    v = x[1:3]
    assert x._version == v._version == 0
    x.add_(1)
    v.mul_(2)
    x[0] = 5.0
    assert x._version == v._version == 3
    assert x.detach()._version == 3  # detach shares the storage, so the counter too


@pytest.mark.sec_2_9
def test_saved_tensor_modified_in_place_is_refused():
    a = lego.tensor([1.0, 2.0], requires_grad=True)
    y = a.exp()  # Exp saves its output
    y.add_(1)
    with pytest.raises(AutogradError, match="modified by an inplace operation.*version 1; "
                                            "expected version 0"):
        y.sum().backward()


@pytest.mark.sec_2_9
def test_inplace_on_an_unsaved_intermediate_keeps_gradients_right():
    a = lego.tensor([1.0, 2.0], requires_grad=True)
    y = a * 3  # Mul saves its inputs, not its output
    y.add_(1)
    y.mul_(a)  # y = (3a + 1) a, so dy/da = 6a + 1
    y.sum().backward()
    assert a.grad.tolist() == [7.0, 13.0]


@pytest.mark.sec_2_5
def test_graph_is_freed_after_backward_unless_retained():
    a = lego.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert a.grad.tolist() == [4.0, 8.0]
    with pytest.raises(AutogradError, match="backward through the graph a second time"):
        y.backward()


@pytest.mark.sec_2_5
def test_toposort_is_iterative_on_a_deep_chain():
    x = lego.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):  # deeper than Python's default recursion limit
        y = y + 1
    order = toposort([y.grad_fn])
    assert len(order) == 5001 and order[-1] is y.grad_fn and order[0] is x._grad_node()
    y.backward()
    assert x.grad.tolist() == [1.0]


@pytest.mark.sec_2_9
def test_inplace_on_views_rewrites_the_history_of_the_base():
    """A view written in place (v.mul_, b[:, 0].add_) changes its base's gradient, as in torch."""
    import torch

    results = []
    for lib in (torch, lego):
        a = lib.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([10.0, 20, 30], dtype=lib.float64, requires_grad=True)
        b = a * 2
        b[1].mul_(w)
        b[:, 0].add_(w[:2])
        (b * b).sum().backward()
        results.append((a.grad.tolist(), w.grad.tolist(), b.tolist()))
    assert results[0] == results[1]


@pytest.mark.sec_2_9
def test_inplace_on_a_view_of_a_leaf_is_refused():
    a = lego.zeros(3, requires_grad=True)
    with pytest.raises(AutogradError, match="view of a leaf Variable"):
        a[1:].add_(1)


@pytest.mark.sec_2_5
def test_leaf_grads_never_alias_each_other_or_the_callers_gradient():
    """AccumulateGrad steals a gradient only when no other tensor shares its memory."""
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    y = lego.tensor([3.0, 4.0], requires_grad=True)
    upstream = lego.tensor([1.0, 1.0])
    ((x + y) * 2).backward(upstream)  # Add's backward hands the same tensor to x and y
    x.grad.add_(1)
    upstream.add_(10)
    assert x.grad.tolist() == [3.0, 3.0] and y.grad.tolist() == [2.0, 2.0]
    z = lego.tensor([1.0], requires_grad=True)
    z.backward(upstream[:1])
    assert z.grad.tolist() == [11.0]
    upstream.add_(1)
    assert z.grad.tolist() == [11.0]


@pytest.mark.sec_2_5
def test_pytorch_style_custom_function_with_staticmethods():
    class Cube(lego.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g  # a bare tensor for the single input, as PyTorch allows

    x = lego.tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


@pytest.mark.sec_2_9
def test_writing_through_a_broadcast_view_is_refused():
    x = lego.zeros(3).expand(2, 3)  # both rows are the same memory
    with pytest.raises(RuntimeError, match="refers to a single memory location"):
        x.add_(1)
    x[0] = 1.0  # one row has no overlap: torch allows it, and both rows show the write
    assert x.tolist() == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
