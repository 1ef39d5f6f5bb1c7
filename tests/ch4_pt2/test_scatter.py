"""scatter_add and accumulating index_put as fused masked sums (book 4.5), not host calls:
values and gradients against torch in float64, and an index out of range raised as torch does.
"""

import numpy as np
import pytest
import torch

import ch2_lego as lego
from ch4_pt2.plan import Plan

pytestmark = pytest.mark.sec_4_5


def plan_of(t) -> Plan:
    return Plan([t._buf.uop])


def test_scatter_add_is_a_kernel_with_the_embeddings_backward_values():
    """The embedding's backward: rows of src added into the rows index names, in float64
    (a sum of at most 512 terms in another order than torch's: 512 eps64 of |src| sums)."""
    rng = np.random.default_rng(4)
    x, src = rng.standard_normal((27, 16)), rng.standard_normal((512, 16))
    index = np.repeat(rng.integers(0, 27, (512, 1)), 16, 1)
    out = lego.tensor(x, device="lazy").scatter_add(0, lego.tensor(index, device="lazy"),
                                                    lego.tensor(src, device="lazy"))
    plan = plan_of(out)
    assert plan.kernel_count >= 1 and all(p is not None for p in plan.programs)  # no host call
    want = torch.tensor(x).scatter_add(0, torch.tensor(index), torch.tensor(src)).numpy()
    bound = 512 * np.finfo(np.float64).eps * (np.abs(x) + 512 * np.abs(src).max())
    assert np.all(np.abs(out.numpy() - want) <= bound)


def test_scatter_add_along_the_last_dim_with_a_larger_src_and_its_gradient():
    rng = np.random.default_rng(5)
    x, big = rng.standard_normal((5, 7)), rng.standard_normal((5, 3))
    index = rng.integers(0, 7, (5, 2))
    ours = lego.tensor(x, device="lazy").scatter_add(1, lego.tensor(index, device="lazy"),
                                                     lego.tensor(big, device="lazy"))
    ref = torch.tensor(x).scatter_add(1, torch.tensor(index), torch.tensor(big))
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)
    src = big[:, :2]  # torch's backward wants src shaped like index
    tx, tsrc = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    lx = lego.tensor(x, device="lazy").requires_grad_()
    lsrc = lego.tensor(src, device="lazy").requires_grad_()
    ref = tx.scatter_add(1, torch.tensor(index), tsrc)
    ours = lx.scatter_add(1, lego.tensor(index, device="lazy"), lsrc)
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    weights = rng.standard_normal((5, 7))
    (ref * torch.tensor(weights)).sum().backward()
    (ours * lego.tensor(weights, device="lazy")).sum().backward()
    np.testing.assert_allclose(lsrc.grad.numpy(), tsrc.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_scatter_add_index_out_of_range_raises_as_torch():
    x = lego.zeros(5, 7, device="lazy")
    bad = lego.tensor([[1], [9], [0], [2], [3]], device="lazy")
    with pytest.raises(RuntimeError, match="index 9 is out of bounds for dimension 1 with size 7"):
        x.scatter_add(1, bad, lego.ones(5, 1, device="lazy")).numpy()
    with pytest.raises(RuntimeError, match="index 9 is out of bounds for dimension 1"):
        torch.zeros(5, 7).scatter_add(1, torch.tensor([[1], [9], [0], [2], [3]]), torch.ones(5, 1))


def test_accumulating_index_put_is_a_kernel_with_xidx_gradients():
    """The backward of x[idx] (negative and repeated indices) adds rows into a zero tensor:
    an accumulating index_put, now a fused masked sum, against torch in float64."""
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((7, 3)), rng.standard_normal((9, 3))
    idx = np.array([0, -1, 3, 3, 6, -7, 2, 0, 5])
    lx = lego.tensor(x, device="lazy").requires_grad_()
    (lx[lego.tensor(idx, device="lazy")] * lego.tensor(w, device="lazy")).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    (tx[torch.tensor(idx)] * torch.tensor(w)).sum().backward()
    grad = lx.grad
    plan = plan_of(grad)
    assert plan.kernel_count >= 1 and all(p is not None for p in plan.programs)  # no host call
    mass = np.zeros((7, 3))  # the |w| landing on each row: up to 3 rows of w add into row 0
    np.add.at(mass, idx, np.abs(w))
    bound = 4 * np.finfo(np.float64).eps * mass  # (repeats + 1) roundings, each side
    assert np.all(np.abs(grad.numpy() - tx.grad.numpy()) <= 2 * bound)


def test_accumulating_index_put_out_of_range_raises():
    x = lego.zeros(5, 2, device="lazy")
    put = x._buf.index_put((0,), lego.ones(3, 2, device="lazy")._buf, True,
                           lego.tensor([1, 5, 0], device="lazy")._buf)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 5"):
        x._wrap(put).numpy()
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 5"):
        torch.zeros(5, 2).index_put_((torch.tensor([1, 5, 0]),), torch.ones(3, 2),
                                     accumulate=True)


def test_a_partial_scatter_add_checks_its_indices_as_eager_does():
    """An index that does not span x's other dims is a SCATTER kernel (once a host call):
    torch's values, and an index out of range is torch's RuntimeError with its words."""
    index = [[0, 2], [1, 0]]
    src = np.arange(6.0).reshape(2, 3)
    lazy = lambda a: lego.tensor(np.asarray(a), device="lazy")  # noqa: E731
    got = lazy(np.zeros((3, 4))).scatter_add(0, lazy(index), lazy(src))
    assert all(p is not None for p in plan_of(got).programs)  # no host call
    want = torch.zeros(3, 4, dtype=torch.float64).scatter_add(0, torch.tensor(index),
                                                              torch.tensor(src))
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 0"):
        torch.zeros(3, 4).scatter_add(0, torch.tensor([[0, 3]]), torch.ones(1, 2))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 0 with size 3"):
        lazy(np.zeros((3, 4))).scatter_add(0, lazy([[0, 3]]), lazy(np.ones((1, 2)))).numpy()
