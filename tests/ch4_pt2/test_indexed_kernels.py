"""Indexed stores and scans as kernels (book 4.5): index_put (replacing, several index tensors),
scatter_add of any size or shape, a write through a strided view and cumsum of any length run
as SCATTER and SCAN kernels, not host calls that split the graph. Values and gradients against
torch (float64: exact or within a bound of the additions' rounding; float32 cumsum within
n eps32 of the running absolute sum), and kernel counts read from the plan.
"""

import numpy as np
import pytest
import torch

import ch2_lego as lego
from ch4_pt2.ops import Ops
from ch4_pt2.plan import Plan

pytestmark = pytest.mark.sec_4_5
EPS32 = 2.0**-23


def lazy(a, grad=False):
    t = lego.tensor(np.asarray(a), device="lazy")
    return t.requires_grad_() if grad else t


def plan_of(t) -> Plan:
    return Plan([t._buf.uop])


def host_calls(plan: Plan) -> int:
    return sum(item.root.op is Ops.EXTERN for item in plan.items)


# *** index_put and x[i, j] ***


PUTS = [  # (x shape, key as index lists (None: a full slice), values' shape)
    ((5, 4), ([3, 0, -1], None), (3, 4)),  # one index tensor, rows replaced
    ((4, 6), ([0, 2, -1, 1], [5, 0, 3, -2]), (4,)),  # two, adjacent
    ((3, 4, 5), ([[0], [2]], None, [1, 4, -1]), (2, 3, 4)),  # two, apart: I first
    ((3, 4, 5), (None, [0, 3, -1], [[1], [4]]), (3, 2, 3)),  # two, adjacent after a slice
]


def key_of(spec, module):
    make = torch.tensor if module is torch else lazy
    return tuple(slice(None) if k is None else make(k) for k in spec)


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("shape, spec, vshape", PUTS)
def test_index_put_is_one_kernel_with_torchs_values_and_gradients(shape, spec, vshape,
                                                                   accumulate):
    """No index repeats an element, so replacing is deterministic in torch too; float64."""
    rng = np.random.default_rng(len(shape) + len(vshape))
    x, v = rng.standard_normal(shape), rng.standard_normal(vshape)
    tx, tv = torch.tensor(x, requires_grad=True), torch.tensor(v, requires_grad=True)
    want = tx.clone()
    want[key_of(spec, torch)] = want[key_of(spec, torch)] + tv if accumulate else tv
    lx, lv = lazy(x, True), lazy(v, True)
    got = lx * 1.0  # a non-leaf written in place, as the torch side
    if accumulate:
        got[key_of(spec, lego)] = got[key_of(spec, lego)] + lv
    else:
        got[key_of(spec, lego)] = lv
    plan = plan_of(got)
    assert host_calls(plan) == 0 and plan.kernel_count >= 1
    # replacing, or x + v with one rounding on each side: the same float64 values
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    w = rng.standard_normal(shape)
    (want * torch.tensor(w)).sum().backward()
    (got * lazy(w)).sum().backward()
    np.testing.assert_array_equal(lx.grad.numpy(), tx.grad.numpy())  # w or 0: no rounding
    np.testing.assert_array_equal(lv.grad.numpy(), tv.grad.numpy())


def test_replacing_put_with_repeated_indices_keeps_the_last_value_as_eager():
    """Eager ch2 (numpy's x[i] = v) keeps the last of repeated indices; the kernel stores in
    index order, so it does too."""
    x, v = np.zeros((4, 3)), np.arange(12.0).reshape(4, 3)
    rows = [1, 3, 1, 1]
    eager = lego.tensor(x)
    eager[lego.tensor(rows)] = lego.tensor(v)
    ours = lazy(x)
    ours[lazy(rows)] = lazy(v)
    np.testing.assert_array_equal(ours.numpy(), eager.numpy())
    np.testing.assert_array_equal(ours.numpy()[1], v[3])  # hand-derived: the last of rows 1


@pytest.mark.parametrize("spec", [([0, 2, -1], [1, -4, 0]), ([[1], [0]], None, [2, 0, 1])])
def test_reading_with_several_index_tensors_is_one_fused_kernel(spec):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4, 3))
    tx, lx = torch.tensor(x, requires_grad=True), lazy(x, True)
    want, got = tx[key_of(spec, torch)] * 2, lx[key_of(spec, lego)] * 2
    plan = plan_of(got)
    assert host_calls(plan) == 0 and plan.kernel_count == 1  # gather and * 2 in one kernel
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    w = rng.standard_normal(tuple(want.shape))
    (want * torch.tensor(w)).sum().backward()
    (got * lazy(w)).sum().backward()  # an accumulating index_put with two index tensors
    bound = 4 * np.finfo(np.float64).eps * np.abs(2 * w).sum()  # at most a few terms per cell
    assert np.abs(lx.grad.numpy() - tx.grad.numpy()).max() <= bound


def test_a_put_between_elementwise_ops_does_not_split_the_graph():
    """(x * 2) with rows replaced by (v + 1), then + 3: the producers fuse into the scatter
    kernel (its copy and its stores), the consumer is the next kernel: 2 kernels, no host."""
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal((6, 5)), rng.standard_normal((2, 5))
    base = lazy(x) * 2
    base[lazy([4, 1])] = lazy(v) + 1
    out = base + 3
    plan = plan_of(out)
    assert host_calls(plan) == 0 and plan.kernel_count == 2
    want = x * 2
    want[[4, 1]] = v + 1
    np.testing.assert_array_equal(out.numpy(), want + 3)  # one rounding each side, the same


def test_a_write_through_a_strided_view_is_a_kernel():
    """x.t()[1] = v writes a column of x: a view that is no box of its storage."""
    x, v = np.arange(12.0).reshape(3, 4), np.array([-1.0, -2.0, -3.0])
    ours = lazy(x)
    ours.t()[1] = lazy(v)
    assert host_calls(plan_of(ours)) == 0
    want = torch.tensor(x)
    want.t()[1] = torch.tensor(v)
    np.testing.assert_array_equal(ours.numpy(), want.numpy())


# *** scatter_add ***


def test_a_large_scatter_add_is_a_kernel_within_the_additions_bound():
    """Past the masked sum's work limit (64000 x 5000 element-rows): the SCATTER kernel adds
    in index order; float32 against a float64 truth, within (repeats + 1) eps32 of the sum of
    absolute values landing on each element."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1000, 64)).astype(np.float32)
    src = rng.standard_normal((5000, 64)).astype(np.float32)
    index = np.repeat(rng.integers(0, 1000, (5000, 1)), 64, 1)
    lx, lsrc = lazy(x, True), lazy(src, True)
    got = lx.scatter_add(0, lazy(index), lsrc)
    plan = plan_of(got)
    assert host_calls(plan) == 0 and plan.kernel_count == 1
    truth, mass = x.astype(np.float64), np.abs(x).astype(np.float64)
    np.add.at(truth, (index, np.arange(64)), src.astype(np.float64))
    np.add.at(mass, (index, np.arange(64)), np.abs(src).astype(np.float64))
    repeats = np.bincount(index[:, 0], minlength=1000).max()
    assert np.all(np.abs(got.detach().numpy() - truth) <= (repeats + 1) * EPS32 * mass)
    want = torch.tensor(x).scatter_add(0, torch.tensor(index), torch.tensor(src)).numpy()
    assert np.all(np.abs(got.detach().numpy() - want) <= 2 * (repeats + 1) * EPS32 * mass)
    w = rng.standard_normal((1000, 64)).astype(np.float32)
    tx, tsrc = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    (tx.scatter_add(0, torch.tensor(index), tsrc) * torch.tensor(w)).sum().backward()
    (got * lazy(w)).sum().backward()  # x's gradient is w, src's is w gathered: no rounding
    np.testing.assert_array_equal(lx.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(lsrc.grad.numpy(), tsrc.grad.numpy())


def test_a_partial_scatter_add_has_torchs_values_and_gradients():
    """index smaller than x in the other dim (src larger than index for the values; torch's
    backward wants src shaped like index): float64."""
    rng = np.random.default_rng(12)
    x, big = rng.standard_normal((4, 6)), rng.standard_normal((3, 5))
    index = np.array([[5, 0, 5], [1, 1, 2]])
    got = lazy(x).scatter_add(1, lazy(index), lazy(big))
    assert host_calls(plan_of(got)) == 0
    want = torch.tensor(x).scatter_add(1, torch.tensor(index), torch.tensor(big)).numpy()
    bound = 3 * np.finfo(np.float64).eps * (np.abs(x) + np.abs(big).sum())
    assert np.all(np.abs(got.numpy() - want) <= bound)
    src = big[:2, :3]
    tx, ts = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    lx, ls = lazy(x, True), lazy(src, True)
    w = rng.standard_normal((4, 6))
    (tx.scatter_add(1, torch.tensor(index), ts) * torch.tensor(w)).sum().backward()
    (lx.scatter_add(1, lazy(index), ls) * lazy(w)).sum().backward()
    np.testing.assert_array_equal(lx.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(ls.grad.numpy(), ts.grad.numpy())


# *** cumsum ***


@pytest.mark.parametrize("dim", [0, 1])
def test_a_long_cumsum_is_one_scan_kernel_within_its_rounding(dim):
    """3000 elements, float32 accumulated in float64 as torch's CPU scan does: each output is
    the float64 running sum rounded once, so equal to numpy's float64 cumsum rounded to float32
    (the same additions); and within 1 eps32 of the result plus i eps64 of the running |x| sum
    from torch's."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3000, 4) if dim == 0 else (4, 3000)).astype(np.float32)
    got = lazy(x).cumsum(dim)
    plan = plan_of(got)
    assert host_calls(plan) == 0 and plan.kernel_count == 1
    truth = np.cumsum(x.astype(np.float64), dim)
    np.testing.assert_array_equal(got.numpy(), truth.astype(np.float32))
    steps = np.arange(1, 3001).reshape((-1, 1) if dim == 0 else (1, -1))
    mass = np.cumsum(np.abs(x).astype(np.float64), dim)
    bound = EPS32 * np.abs(truth) + 2 * steps * np.finfo(np.float64).eps * mass
    want = torch.tensor(x).cumsum(dim).numpy()
    assert np.all(np.abs(got.numpy() - want) <= 2 * bound)


def test_cumsum_in_float32_accumulates_in_float64_as_torch():
    """1e5 times 0.1: float32 steps drift to 9998.6; torch's scan (and ours) give 10000."""
    got = lego.full((100_000,), 0.1, device="lazy").cumsum(0)[-1].item()
    assert got == torch.full((100_000,), 0.1).cumsum(0)[-1].item() == 10000.0


def test_a_long_cumsums_gradient_and_an_int_cumsum():
    """cumsum's backward is a reversed cumsum (another scan); an int64 scan is exact."""
    rng = np.random.default_rng(14)
    x, w = rng.standard_normal((2, 2000)), rng.standard_normal((2, 2000))
    tx, lx = torch.tensor(x, requires_grad=True), lazy(x, True)
    (tx.cumsum(1) * torch.tensor(w)).sum().backward()
    (lx.cumsum(1) * lazy(w)).sum().backward()
    steps = np.arange(2000, 0, -1)  # the gradient at i sums the 2000 - i later weights
    bound = (steps + 1) * np.finfo(np.float64).eps * np.cumsum(np.abs(w)[:, ::-1], 1)[:, ::-1]
    assert np.all(np.abs(lx.grad.numpy() - tx.grad.numpy()) <= 2 * bound)
    ints = rng.integers(-1000, 1000, (3, 500))
    np.testing.assert_array_equal(lazy(ints).cumsum(1).numpy(),
                                  torch.tensor(ints).cumsum(1).numpy())


def test_a_scan_between_elementwise_ops_does_not_split_the_graph():
    """(x * 2).cumsum(1) + 1: the producer fuses into the scan, the consumer is one more
    kernel; before, a host cumsum cut the graph into kernel, host call, kernel."""
    x = np.random.default_rng(15).standard_normal((3, 200))
    out = (lazy(x) * 2).cumsum(1) + 1
    plan = plan_of(out)
    assert host_calls(plan) == 0 and plan.kernel_count == 2
    np.testing.assert_array_equal(out.numpy(), np.cumsum(x * 2, 1) + 1)


def test_argsort_is_the_host_call_left():
    x = np.random.default_rng(16).standard_normal((3, 7))
    got = lazy(x).argsort(1)
    assert host_calls(plan_of(got)) == 1
    np.testing.assert_array_equal(got.numpy(), torch.tensor(x).argsort(1).numpy())
