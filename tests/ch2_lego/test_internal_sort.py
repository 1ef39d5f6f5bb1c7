"""sort, argsort, topk, nonzero and one-argument where (the ARGSORT primitive) against torch."""

import numpy as np
import pytest
import torch

import ch2_lego as lego

pytestmark = pytest.mark.sec_2_8


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_with_ties_matches_torch_values_indices_and_grads(dim, descending):
    a = np.array([[3.0, 1, 3, 2], [0, 5, 5, -1], [2, 2, 2, 2]])
    results = []
    for lib in (torch, lego):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        values, indices = x.sort(dim=dim, descending=descending, stable=True)
        (values * lib.arange(values.numel(), dtype=lib.float64).reshape(values.shape)).sum() \
            .backward()
        results.append((values.tolist(), indices.tolist(), x.grad.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch(largest):
    a = np.random.default_rng(0).standard_normal((4, 7))
    ours = lego.tensor(a).topk(3, dim=1, largest=largest)
    ref = torch.tensor(a).topk(3, dim=1, largest=largest)
    assert ours.indices.tolist() == ref.indices.tolist()
    np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())


def test_nonzero_and_where_with_one_argument():
    a = np.array([[0, 1, 0], [2, 0, 3]])
    assert lego.tensor(a).nonzero().tolist() == torch.tensor(a).nonzero().tolist()
    ours = lego.where(lego.tensor(a) > 0)
    ref = torch.where(torch.tensor(a) > 0)
    assert [t.tolist() for t in ours] == [t.tolist() for t in ref]
