"""An index out of range in graph mode raises what eager ch2 raises (book 4.8): the same
exception class and message, for each op that reads or writes at an index, though the check
runs in a fused kernel after the op was recorded. The reference is eager ch2 on the same inputs
(whose words are torch's; torch's exception class is checked too where ch2's is torch's)."""

import numpy as np
import pytest
import torch

import ch2_lego as lego
import ch2_lego.nn.functional as LF
import ch4_pt2

pytestmark = pytest.mark.sec_4_8

ONES = np.ones((5, 3))
CASES = {  # name -> fn(module, make) where make(array) builds a tensor of that module
    "embedding -1": lambda m, t: m.nn.functional.embedding(t([[0, -1]]), t(ONES)),
    "embedding past the end": lambda m, t: m.nn.functional.embedding(t([[0, 5]]), t(ONES)),
    "embedding module": lambda m, t: m.nn.functional.embedding(t([4, 7, 0]), t(ONES) * 2),
    "gather": lambda m, t: t(ONES).gather(1, t([[0, 3], [1, 1]])),
    "gather -1": lambda m, t: t(ONES).gather(1, t([[0, -1], [1, 1]])),
    "index_select": lambda m, t: t(ONES).index_select(1, t([0, 3])),
    "x[:, i]": lambda m, t: t(ONES)[:, t([0, -4])],
    "x[i, j]": lambda m, t: t(ONES)[t([0, 4]), t([1, 3])],
    "x[i, j] = v": lambda m, t: t(ONES).index_put((t([0, -6]), t([1, 2])), t([7.0, 8.0])),
    "scatter_add": lambda m, t: t(np.zeros((2, 3))).scatter_add(1, t([[0, 3]]), t([[1.0, 1.0]])),
    "cross_entropy": lambda m, t: m.nn.functional.cross_entropy(t(ONES[:2]), t([0, 3])),
    "nll_loss": lambda m, t: m.nn.functional.nll_loss(t(ONES[:2]), t([0, -2])),
    "int ** negative number": lambda m, t: t([2, 3]) ** -2,
}
TORCH_CLASS_DIFFERS = {"index_select"}  # ch2 eager raises IndexError where torch RuntimeError


def test_int_powers_of_tensors_without_negatives_are_torchs():
    base, exponent = [[2, -3], [0, 7]], [[3, 2], [0, 1]]
    ours = lego.tensor(base, device="lazy") ** lego.tensor(exponent, device="lazy")
    want = torch.tensor(base) ** torch.tensor(exponent)
    assert ours.numpy().tolist() == want.tolist()


def error_of(fn, module, make, realize):
    with pytest.raises(Exception) as caught:
        out = fn(module, make)
        if realize:
            out.numpy()
    return caught.value


@pytest.mark.parametrize("name", list(CASES))
def test_graph_mode_raises_eagers_error(name):
    fn = CASES[name]
    eager = error_of(fn, lego, lambda a: lego.tensor(np.asarray(a)), False)
    ours = error_of(fn, lego, lambda a: lego.tensor(np.asarray(a), device="lazy"), True)
    assert type(ours) is type(eager)
    assert str(ours) == str(eager)
    want = error_of(fn, torch, lambda a: torch.tensor(np.asarray(a)), False)
    if name not in TORCH_CLASS_DIFFERS:
        assert isinstance(ours, type(want))
        assert str(ours) == str(want) or name.startswith("x[")  # torch names dim 0 there


def test_a_compiled_embedding_raises_eagers_words_on_every_replay():
    weight = lego.tensor(np.arange(10.0).reshape(5, 2))

    @ch4_pt2.compile
    def lookup(weight, tokens):
        return LF.embedding(tokens, weight).sum()

    for tokens in ([0, 4], [1, 2], [3, 3]):  # traced twice, then replayed
        want = sum(2 * t + 2 * t + 1 for t in tokens)  # row t holds 2t and 2t + 1
        assert lookup(weight, lego.tensor(tokens)).item() == want
    for bad in ([0, 5], [-1, 2]):
        with pytest.raises(IndexError, match="^index out of range in self$"):
            lookup(weight, lego.tensor(bad))
    assert len(lookup.traces) == 1


def test_an_index_error_leaves_later_graphs_working():
    """The failed storage stays a graph (raising again when read); the next realize, and
    compile's trace (which realizes every live storage first), do not take it."""
    bad = LF.embedding(lego.tensor([7], device="lazy"), lego.ones(5, 2, device="lazy"))
    with pytest.raises(IndexError):
        bad.numpy()
    with pytest.raises(IndexError):
        bad.numpy()
    ok = lego.tensor([1.0, 2.0], device="lazy").cumsum(0)
    np.testing.assert_array_equal(ok.numpy(), [1.0, 3.0])

    @ch4_pt2.compile
    def double(x):
        return x * 2
    np.testing.assert_array_equal(double(lego.tensor([1.0])).numpy(), [2.0])
