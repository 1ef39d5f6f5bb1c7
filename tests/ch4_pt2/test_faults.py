"""Graph mode's kernels see index and divisor values first, so they check them (book 4.8): an
index out of range and an integer division by zero raise eager mode's errors (torch's types:
RuntimeError for gather, IndexError for x[i]), and a negative index counts from the end."""

import numpy as np
import pytest
import torch

import ch2_lego as lego
import ch2_lego.nn.functional as LF
import ch4_pt2
from ch2_lego.errors import IntegerDivisionError

pytestmark = pytest.mark.sec_4_8


def lazy(a):
    return lego.tensor(np.asarray(a), device="lazy")


@pytest.mark.parametrize("bad", [3, -1, 100])
def test_gather_index_out_of_range_raises_like_torch(bad):
    x = np.arange(6.0).reshape(2, 3)
    index = [[0, bad], [1, 2]]
    with pytest.raises(RuntimeError, match="out of bounds") as want:
        torch.tensor(x).gather(1, torch.tensor(index))
    with pytest.raises(RuntimeError, match=rf"index {bad} is out of bounds for dimension 1 "
                                           r"with size 3") as got:
        lazy(x).gather(1, lazy(index)).numpy()
    assert isinstance(got.value, type(want.value))  # torch's RuntimeError


@pytest.mark.parametrize("index", [[-1, 0], [-3, 2], [1, -2]])
def test_negative_index_counts_from_the_end(index):
    x = np.arange(12.0).reshape(3, 4)
    want = torch.tensor(x)[torch.tensor(index)].numpy()
    np.testing.assert_array_equal(lazy(x)[lazy(index)].numpy(), want)
    want = torch.tensor(x)[:, torch.tensor(index)].numpy()
    np.testing.assert_array_equal(lazy(x)[:, lazy(index)].numpy(), want)


@pytest.mark.parametrize("bad", [3, -4])
def test_index_out_of_range_is_an_index_error(bad):
    x = np.arange(6.0).reshape(3, 2)
    with pytest.raises(IndexError):
        torch.tensor(x)[torch.tensor([0, bad])]
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 3"):
        lazy(x)[lazy([0, bad])].numpy()


@pytest.mark.parametrize("table", ["ones", "full"])
def test_a_gather_from_a_constant_tensor_is_checked_too(table):
    """Nothing is loaded from a constant weight, so no load carries the check: it stays."""
    with pytest.raises(IndexError):
        torch.nn.functional.embedding(torch.tensor([9]), torch.ones(3, 2))
    weight = lego.ones(3, 2, device="lazy") if table == "ones" else \
        lego.full((3, 2), 0.5, device="lazy")
    with pytest.raises(IndexError, match="index out of range in self"):  # eager's words
        LF.embedding(lazy([1, 9]), weight).numpy()
    np.testing.assert_array_equal(LF.embedding(lazy([2, 0]), weight).numpy(),
                                  np.full((2, 2), 1.0 if table == "ones" else 0.5))


@pytest.mark.parametrize("write", [False, True])
def test_two_index_tensors_out_of_range_are_eagers_index_error(write):
    """x[i, j] and x[i, j] = v with two index tensors: each index checked in the kernel."""
    rows, cols = [0, 5], [1, 2]
    with pytest.raises(IndexError):
        torch.zeros(3, 4)[torch.tensor(rows), torch.tensor(cols)]
    x = lazy(np.zeros((3, 4)))
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        if write:
            x[lazy(rows), lazy(cols)] = lazy([1.0, 2.0])
            x.numpy()
        else:
            x[lazy(rows), lazy(cols)].numpy()
    x = lazy(np.arange(12.0).reshape(3, 4))
    x[lazy([0, -1]), lazy([1, 2])] = lazy([-1.0, -2.0])
    want = torch.arange(12.0, dtype=torch.float64).reshape(3, 4)
    want[torch.tensor([0, -1]), torch.tensor([1, 2])] = torch.tensor([-1.0, -2.0],
                                                                     dtype=torch.float64)
    np.testing.assert_array_equal(x.numpy(), want.numpy())


def test_index_computed_in_the_graph_is_checked():
    """The index is made by the fused kernel itself (no host ever sees it)."""
    logits = lazy(np.zeros((2, 3)))
    with pytest.raises(IndexError):
        torch.nn.functional.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 7]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):  # eager's words
        LF.cross_entropy(logits, lazy([0, 7])).item()
    ok = LF.cross_entropy(logits, lazy([0, 2])).item()  # the error left nothing behind
    assert ok == pytest.approx(np.log(3.0), rel=1e-6)


@pytest.mark.parametrize("op", ["//", "%"])
def test_integer_division_by_zero_raises_like_torch(op):
    fn = (lambda a, b: a // b) if op == "//" else (lambda a, b: a % b)
    a, b = [7, -7, 3], [2, 0, -2]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(torch.tensor(a), torch.tensor(b))
    with pytest.raises(IntegerDivisionError, match="ZeroDivisionError"):
        fn(lazy(a), lazy(b)).numpy()
    with pytest.raises(IntegerDivisionError):
        fn(lazy(a), 0).numpy()
    b[1] = 5  # no zero: Python's rounding, as torch's floor_divide and remainder
    np.testing.assert_array_equal(fn(lazy(a), lazy(b)).numpy(),
                                  fn(torch.tensor(a), torch.tensor(b)).numpy())


def test_compiled_plan_checks_every_replay():
    @ch4_pt2.compile
    def embed(table, tokens):
        return table[tokens].sum()

    table = lego.tensor(np.arange(8.0).reshape(4, 2))
    assert embed(table, lego.tensor([0, 3])).item() == 0 + 1 + 6 + 7
    assert embed(table, lego.tensor([1, -1])).item() == 2 + 3 + 6 + 7
    assert embed(table, lego.tensor([2, 1])).item() == 4 + 5 + 2 + 3  # replayed
    with pytest.raises(IndexError, match="index 4 is out of bounds"):
        embed(table, lego.tensor([4, 0]))
    assert len(embed.traces) == 1


def test_float_division_by_zero_is_not_a_fault():
    a, b = [1.0, -1.0, 0.0], [0.0, 0.0, 0.0]
    want = torch.tensor(a) / torch.tensor(b)
    np.testing.assert_array_equal((lazy(a) / lazy(b)).numpy(), want.numpy())
    np.testing.assert_array_equal((lazy(a) // lazy(b)).numpy(),
                                  (torch.tensor(a) // torch.tensor(b)).numpy())
