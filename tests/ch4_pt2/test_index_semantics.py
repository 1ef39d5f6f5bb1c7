"""The index ops' semantics in graph mode (book 4.5), beyond test_indexed_kernels.py: repeated
places (the last store wins; additions in np.add.at's order on the SCATTER path, within their
rounding bound on the fused masked sum), values broadcast into the indexed places, bool masks,
writes through views that are no box, scans of every dtype, and which error words a fault gets
when the index op is recorded inside (or only looks like) a function of ch2 that rewords it.
References: torch, eager ch2, numpy (np.add.at) and float64 sums.
"""

import ast
import inspect

import numpy as np
import pytest
import torch

import ch2_lego as lego
import ch2_lego.nn.functional as LF
import ch4_pt2
from ch2_lego import functional as ch2_functional
from ch2_lego.nn import functional as ch2_nn_functional
from ch4_pt2 import indexing
from ch4_pt2.ops import Ops
from ch4_pt2.plan import Plan

pytestmark = pytest.mark.sec_4_5
EPS32 = 2.0**-23


def lazy(a):
    return lego.tensor(np.asarray(a), device="lazy")


def scatters(t) -> int:
    """How many SCATTER kernels realizing t runs."""
    return sum(item.root.op is Ops.CONTIGUOUS and item.root.src[0].op is Ops.SCATTER
               for item in Plan([t._buf.uop]).items)


# *** repeated places ***


@pytest.mark.parametrize("shape, rows", [
    ((1000, 8), 1000),  # one index tensor past the masked sum's work: SCATTER
    ((40, 50), 300),  # two index tensors: SCATTER at any size
])
def test_accumulating_repeats_add_in_np_add_at_order_on_the_scatter_path(shape, rows):
    """float32 additions in index order are bit for bit numpy's np.add.at (and eager ch2's):
    each repeat rounds after its own addition, in the order the index lists them."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal(shape).astype(np.float32)
    if len(shape) == 2 and shape[1] == 8:
        key = (rng.integers(-shape[0], shape[0], rows) % 50 - 25,)  # 50 rows, negatives too
        values = rng.standard_normal((rows, shape[1])).astype(np.float32)
    else:
        key = (rng.integers(0, 4, rows), rng.integers(-3, 3, rows))  # 24 places, many repeats
        values = rng.standard_normal(rows).astype(np.float32)
    want = x.copy()
    np.add.at(want, key, values)
    got = lazy(x).index_put(tuple(lazy(k) for k in key), lazy(values), True)
    assert scatters(got) == 1
    np.testing.assert_array_equal(got.numpy(), want)
    eager = lego.tensor(x).index_put(tuple(lego.tensor(k) for k in key), lego.tensor(values),
                                     True)
    np.testing.assert_array_equal(got.numpy(), eager.numpy())


def test_accumulating_repeats_on_the_masked_sum_are_within_their_rounding():
    """A small accumulating put is a fused masked sum: x + (the values landing on each place),
    added in another order than np.add.at's, so compared with a float64 truth within
    (repeats + 1) eps32 of the absolute values landing there (each rounding is one)."""
    rng = np.random.default_rng(22)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    idx = np.array([1, 3, 1, 1, 0, -3, 5, 1])
    v = rng.standard_normal((8, 4)).astype(np.float32)
    got = lazy(x).index_put((lazy(idx),), lazy(v), True)
    assert scatters(got) == 0
    truth, mass = x.astype(np.float64), np.abs(x).astype(np.float64)
    np.add.at(truth, idx, v.astype(np.float64))
    np.add.at(mass, idx, np.abs(v).astype(np.float64))
    repeats = np.bincount(idx % 6).max()
    assert np.all(np.abs(got.numpy() - truth) <= (repeats + 1) * EPS32 * mass)


@pytest.mark.parametrize("key", [([1, 3, 1, -5, 1],), ([0, 1, 0, 0], [2, -1, -2, 2])])
def test_a_replacing_put_keeps_the_last_value_of_each_place(key):
    """Eager ch2's order (numpy's x[i] = v, torch's on the CPU as well): the last wins, also
    where a negative and a positive index name one row."""
    x = np.zeros((5, 3))
    values = np.arange(1.0, 1 + len(key[0]) * (3 if len(key) == 1 else 1)).reshape(
        (len(key[0]), 3) if len(key) == 1 else (len(key[0]),))
    want = x.copy()
    for j, place in enumerate(zip(*key)):  # hand-made: stores one after another
        want[place] = values[j]
    got = lazy(x).index_put(tuple(lazy(k) for k in key), lazy(values), False)
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("accumulate", [False, True])
def test_gradients_of_a_put_with_repeated_places_are_torchs(accumulate):
    """torch's rule: x gets the gradient where nothing was written (replacing) or everywhere
    (accumulating); every value gets the gradient at its place, an overwritten one too. Each a
    copy or a gather of w: exact."""
    rng = np.random.default_rng(26)
    x, v, w = (rng.standard_normal(s) for s in ((5, 3), (4, 3), (5, 3)))
    rows = [1, 3, 1, -4]
    tx, tv = torch.tensor(x, requires_grad=True), torch.tensor(v, requires_grad=True)
    (tx.index_put((torch.tensor(rows),), tv, accumulate) * torch.tensor(w)).sum().backward()
    lx, lv = lazy(x).requires_grad_(), lazy(v).requires_grad_()
    (lx.index_put((lazy(rows),), lv, accumulate) * lazy(w)).sum().backward()
    np.testing.assert_array_equal(lx.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(lv.grad.numpy(), tv.grad.numpy())


# *** values broadcast, bool masks ***


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("key, value", [
    (([0, -2, 3],), 5.0),  # a scalar into whole rows
    (([0, -2, 3],), [1.0, 2.0, 3.0, 4.0]),  # a row into each indexed row
    (([0, -2, 3],), [[1.0], [2.0], [3.0]]),  # a column: one value per index
    (([0, 2], [1, -1]), 7.0),  # two index tensors, a scalar
    (([[0], [2]], [1, 3]), [1.0, 2.0]),  # index tensors broadcast, values too
])
def test_put_broadcasts_its_values_as_torch(key, value, accumulate):
    """No place repeats: replacing is exact, accumulating one float64 rounding each, as torch."""
    x = np.random.default_rng(23).standard_normal((5, 4))
    want = torch.tensor(x).index_put(tuple(torch.tensor(k) for k in key),
                                     torch.tensor(value, dtype=torch.float64), accumulate)
    got = lazy(x).index_put(tuple(lazy(k) for k in key), lazy(value), accumulate)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("write", ["scalar", "values", "add"])
def test_a_bool_mask_write_is_torchs(write):
    """x[m] = 0.5, x[m] = one value per True (row-major), x[m] += 1: torch's values."""
    x = np.random.default_rng(24).standard_normal((4, 5))
    mask = x > 0.2

    def run(t, make):
        t = t * 1
        m = make(mask)
        if write == "scalar":
            t[m] = 0.5
        elif write == "values":
            t[m] = make(np.arange(float(mask.sum())))
        else:
            t[m] += 1
        return t
    want = run(torch.tensor(x), torch.tensor)
    np.testing.assert_array_equal(run(lazy(x), lazy).numpy(), want.numpy())


# *** writes through views that are no box ***


@pytest.mark.parametrize("where", ["diagonal", "every other column", "transposed step"])
def test_a_write_through_a_view_that_is_no_box_is_torchs(where):
    """Each view is not a box of its storage (strides not nested), so the write is a SCATTER at
    the view's offsets; its neighbours keep their values."""
    x = np.arange(30.0).reshape(5, 6)

    def run(t, make):
        t = t * 1
        if where == "diagonal":
            t.diagonal().copy_(make(-np.arange(1.0, 6.0)))
        elif where == "every other column":
            t[:, ::2] = make(-np.ones((5, 3)))
        else:
            t.t()[1::2, ::2] = make(-np.arange(9.0).reshape(3, 3))
        return t
    want = run(torch.tensor(x), torch.tensor)
    got = run(lazy(x), lazy)
    assert scatters(got) == 1
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# *** cumsum of every dtype ***


@pytest.mark.parametrize("n", [10, 300])  # a masked sum, a SCAN
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int32, np.bool_])
def test_cumsum_of_each_dtype_is_torchs(dtype, n):
    """float64 in index order (the SCAN) or a sum of at most 10 terms (the masked sum, within
    10 eps64 of the running |x|); int32 and bool sum to int64 as torch; integers exactly."""
    rng = np.random.default_rng(25)
    x = (rng.standard_normal((3, n)) * 100).astype(dtype)
    got = lazy(x).cumsum(1).numpy()
    want = torch.tensor(x).cumsum(1).numpy()
    assert got.dtype == want.dtype
    if dtype is np.float64 and n <= indexing.SCAN_FUSED:
        bound = n * np.finfo(np.float64).eps * np.cumsum(np.abs(x), 1)
        assert np.all(np.abs(got - want) <= bound)
    else:
        np.testing.assert_array_equal(got, want)


# *** the words of a fault: found by the caller's code, not its name ***


def embedding(index, weight):
    """The user's own function of ch2's name: its x[i] error is x[i]'s, as in eager."""
    return weight[index]


def test_a_user_function_named_like_ch2s_gets_no_rewording():
    weight = np.ones((5, 2))
    with pytest.raises(IndexError) as eager:
        embedding(lego.tensor([1, 7]), lego.tensor(weight))
    with pytest.raises(IndexError) as ours:
        embedding(lazy([1, 7]), lazy(weight)).numpy()
    assert str(ours.value) == str(eager.value) == \
        "index 7 is out of bounds for dimension 0 with size 5"


def test_a_compiled_model_with_layers_gets_ch2s_words():
    """nn.Embedding's lookup and cross_entropy's target, traced by compile: the kind is found
    when the trace records the gather and kept in the replayed plan."""
    lego.manual_seed(0)
    table = lego.nn.Embedding(6, 4).to("lazy")

    @ch4_pt2.compile
    def loss(tokens, targets):
        return LF.cross_entropy(table(tokens), targets)

    for _ in range(3):  # traced twice, then replayed
        loss(lego.tensor([0, 5]), lego.tensor([3, 1])).item()
    with pytest.raises(IndexError, match="^index out of range in self$"):
        loss(lego.tensor([0, 6]), lego.tensor([3, 1])).item()
    with pytest.raises(IndexError, match=r"^Target 4 is out of bounds\.$"):
        loss(lego.tensor([0, 5]), lego.tensor([3, 4])).item()
    assert len(loss.traces) == 1


def rewording_sites() -> set[str]:
    """The functions of ch2's two functional modules with an `except` of an index error."""
    names = set()
    for module in (ch2_functional, ch2_nn_functional):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(h, ast.ExceptHandler) and h.type is not None and
                    ast.unparse(h.type) in ("IndexValueError", "OutOfRangeError")
                    for h in ast.walk(node)):
                names.add(node.name)
    return names


def test_every_function_of_ch2_that_rewords_an_index_error_is_known_to_capture():
    """A new rewording site in ch2 would otherwise raise the index op's words in graph mode."""
    known = {code.co_name for code in indexing.rewording_callers()}
    assert rewording_sites() == known


# *** a backward alone: its fault gets its forward's words ***


def lookup(size):
    def run(layers, t):
        return layers["emb"](t).sum()
    return run, size


def loss_of(fn):
    def run(layers, t):
        x = layers["x"]
        return fn(layers["lin"](x.to(layers["lin"].weight.device)), t)
    return run, 6


BACKWARDS = {  # name -> (fn(layers, targets or tokens) -> a scalar, the classes or rows)
    "cross_entropy": loss_of(LF.cross_entropy),
    "cross_entropy (N, C, d)": loss_of(lambda y, t: LF.cross_entropy(
        y.reshape(1, 3, 6).permute(0, 2, 1), t.reshape(1, 3))),
    "nll_loss": loss_of(lambda y, t: LF.nll_loss(LF.log_softmax(y, 1), t)),
    "embedding": lookup(6),  # its backward a masked sum
    "embedding, large": lookup(400_000),  # its backward a SCATTER: 400k x 4 x 3 > SCATTER_WORK
}


@pytest.mark.parametrize("bad", [-2, "past the end"])
@pytest.mark.parametrize("name", list(BACKWARDS))
def test_realizing_only_the_gradients_raises_the_forwards_error(name, bad):
    """loss.backward(), then the gradients are read: graph mode runs only the backward's
    kernels (a cross entropy's gradient does not need the loss), whose scatter reads the
    forward's index; eager raised in the forward, with ch2's words. The same error here."""
    fn, size = BACKWARDS[name]
    bad = size if bad == "past the end" else bad
    errors = []
    for device in ("cpu", "lazy"):
        lego.manual_seed(0)
        layers = {"lin": lego.nn.Linear(4, 6).to(device), "x": lego.randn(3, 4),
                  "emb": lego.nn.Embedding(size, 4).to(device)}
        with pytest.raises(Exception) as caught:
            fn(layers, lego.tensor([1, bad, 0], device=device)).backward()
            for p in (layers["lin"].weight, layers["emb"].weight):
                if p.grad is not None:
                    p.grad.numpy()
        errors.append(caught.value)
    eager, ours = errors
    assert type(ours) is type(eager) and str(ours) == str(eager)
