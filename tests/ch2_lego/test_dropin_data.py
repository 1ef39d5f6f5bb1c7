"""torch.utils.data against torch: collation, samplers, and DataLoader's sampler options.

Every expected value comes from torch.utils.data run on the same inputs (orders that depend on
random numbers are checked for what they must be instead: permutations, ranges, uniformity).
"""

import collections
import importlib
import itertools
import math
import os
import re

import numpy as np
import pytest
import torch

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)
pytestmark = pytest.mark.sec_2_13
Point = collections.namedtuple("Point", "x y")


def same_structure(ours, ref):
    """Containers of the same types all the way down; tensors of equal dtype, shape, values."""
    if isinstance(ref, torch.Tensor):
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        assert tuple(ours.shape) == tuple(ref.shape)
        np.testing.assert_array_equal(np.asarray(ours.numpy()), ref.numpy())
    elif isinstance(ref, dict):
        assert type(ours) is type(ref) and list(ours) == list(ref)
        for key in ref:
            same_structure(ours[key], ref[key])
    elif isinstance(ref, list | tuple):
        assert type(ours) is type(ref) and len(ours) == len(ref), (type(ours), type(ref))
        for a, b in zip(ours, ref, strict=True):
            same_structure(a, b)
    else:
        assert ours == ref


# *** collation ***

def examples(lib):
    """Batches of examples of every kind default_collate handles (built per library)."""
    return {
        "floats": [0.5, 1.25, -3.0],
        "ints": [1, -2, 3],
        "bools": [True, False, True],
        "strings": ["ab", "c", "d"],
        "tensors": [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
        "int_tensors": [lib.tensor(3), lib.tensor(4)],
        "numpy_f32": [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
        "numpy_scalars": [np.float64(1.5), np.float64(2.5)],
        "numpy_ints": [np.int64(7), np.int64(8)],
        "tuples": [(1.0, 2), (3.0, 4)],
        "lists": [[1, 2.0], [3, 4.0]],
        "dicts": [{"x": 1.0, "y": [1, 2]}, {"x": 2.0, "y": [3, 4]}],
        "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
        "nested": [({"a": lib.tensor([1])}, "s", 0.1), ({"a": lib.tensor([2])}, "t", 0.2)],
    }


@pytest.mark.parametrize("kind", list(examples(torch)))
def test_default_collate_matches_torch(kind):
    ours = lego.utils.data.default_collate(examples(lego)[kind])
    ref = torch.utils.data.default_collate(examples(torch)[kind])
    same_structure(ours, ref)


def test_python_floats_collate_to_float64_and_ints_to_int64():
    batch = lego.utils.data.default_collate([(0.1, 1), (0.2, 2)])
    assert batch[0].dtype == lego.float64 and batch[1].dtype == lego.int64
    assert batch[0].tolist() == [0.1, 0.2]  # exactly the Python floats, no float32 rounding


@pytest.mark.parametrize("batch,error", [
    ([[1, 2], [3]], RuntimeError),  # lists of unequal length
    ([object(), object()], TypeError),
])
def test_default_collate_errors_match_torch(batch, error):
    with pytest.raises(error) as ref:
        torch.utils.data.default_collate(batch)
    with pytest.raises(error, match=str(ref.value).split(";")[0].split("<")[0]):
        lego.utils.data.default_collate(batch)


def test_default_convert_matches_torch():
    data = {"a": np.arange(3), "b": (np.float32(2.0), "s"), "c": [np.ones(2)]}
    same_structure(lego.utils.data.default_convert(data), torch.utils.data.default_convert(data))


# *** samplers ***

def test_sequential_and_batch_samplers_match_torch():
    for n, b, drop_last in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        ref = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), b,
                                            drop_last)
        ours = lego.utils.data.BatchSampler(lego.utils.data.SequentialSampler(range(n)), b,
                                            drop_last)
        assert list(ours) == list(ref) and len(ours) == len(ref)


PATHS = [("dataloader", "DataLoader"), ("dataloader", "default_collate"),
         ("dataloader", "get_worker_info"), ("dataset", "Dataset"), ("dataset", "TensorDataset"),
         ("dataset", "Subset"), ("dataset", "random_split"), ("dataset", "IterableDataset"),
         ("sampler", "Sampler"), ("sampler", "BatchSampler"), ("sampler", "RandomSampler"),
         ("sampler", "SequentialSampler"), ("sampler", "SubsetRandomSampler"),
         ("sampler", "WeightedRandomSampler")]


@pytest.mark.parametrize("module,name", PATHS)
def test_submodule_paths_as_torch_has_them(module, name):
    ref = importlib.import_module(f"torch.utils.data.{module}")
    ours = importlib.import_module(f"{ORACLE}.utils.data.{module}")
    assert getattr(ref, name) is getattr(torch.utils.data, name)  # the path is torch's
    assert getattr(ours, name) is getattr(lego.utils.data, name)


def test_random_sampler_without_replacement_is_a_seeded_permutation():
    def draw(seed, num_samples=None):
        gen = lego.Generator().manual_seed(seed)
        return list(lego.utils.data.RandomSampler(range(20), num_samples=num_samples,
                                                  generator=gen))

    first = draw(0)
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert draw(0) == first and draw(1) != first
    longer = draw(0, num_samples=45)  # two whole permutations, then 5 more distinct indices
    assert len(longer) == 45 and sorted(longer[:20]) == sorted(longer[20:40]) == list(range(20))
    assert len(set(longer[40:])) == 5


def test_random_sampler_with_replacement_is_lazy_and_uniform():
    n, draws = 27, 27_000
    huge = lego.utils.data.RandomSampler(range(n), replacement=True, num_samples=10**10)
    assert len(huge) == 10**10
    head = list(itertools.islice(iter(huge), 100))  # returns at once: drawn 32 at a time
    assert len(head) == 100 and all(0 <= i < n for i in head)

    gen = lego.Generator().manual_seed(3)
    sample = list(lego.utils.data.RandomSampler(range(n), True, draws, generator=gen))
    counts = np.bincount(sample, minlength=n)
    # Each count is Binomial(draws, 1/n): mean 1000, sd ~31; 6 sd holds for all 27 counts
    # with probability > 1 - 1e-7.
    mean, sd = draws / n, math.sqrt(draws / n * (1 - 1 / n))
    assert len(sample) == draws and np.abs(counts - mean).max() < 6 * sd


def test_subset_random_sampler_permutes_its_indices():
    indices = [3, 7, 11, 19, 23]
    ours = list(lego.utils.data.SubsetRandomSampler(indices))
    assert sorted(ours) == indices and len(lego.utils.data.SubsetRandomSampler(indices)) == 5


def test_weighted_random_sampler_draws_in_proportion():
    weights = [1.0, 0.0, 3.0, 4.0]
    gen = lego.Generator().manual_seed(0)
    draws = list(lego.utils.data.WeightedRandomSampler(weights, 8000, generator=gen))
    counts = np.bincount(draws, minlength=4)
    assert len(draws) == 8000 and counts[1] == 0  # a zero weight is never drawn
    # each count is Binomial(8000, w/8): within 6 sd with probability > 1 - 1e-8
    p = np.array(weights) / sum(weights)
    assert (np.abs(counts - 8000 * p) <= 6 * np.sqrt(8000 * p * (1 - p)) + 1e-9).all()
    once = list(lego.utils.data.WeightedRandomSampler([1, 1, 1, 0, 2], 4, replacement=False))
    assert sorted(once) == [0, 1, 2, 4]  # without replacement: the four with weight


@pytest.mark.parametrize("make,error", [
    (lambda lib: lib.utils.data.RandomSampler(range(3), num_samples=0), ValueError),
    (lambda lib: lib.utils.data.RandomSampler(range(3), replacement="yes"), TypeError),
    (lambda lib: lib.utils.data.BatchSampler(range(3), 0, False), ValueError),
    (lambda lib: lib.utils.data.BatchSampler(range(3), 2, drop_last=None), ValueError),
    (lambda lib: lib.utils.data.WeightedRandomSampler([1.0], 0), ValueError),
    (lambda lib: lib.utils.data.WeightedRandomSampler([1.0], 2, replacement=1), ValueError),
    (lambda lib: lib.utils.data.WeightedRandomSampler([[1.0, 2.0]], 2), ValueError),
])
def test_sampler_errors_match_torch(make, error):
    with pytest.raises(error) as ref:
        make(torch)
    with pytest.raises(error, match=re.escape(str(ref.value))):
        make(lego)


# *** the DataLoader's options ***

def reversed_sampler(lib):
    """A Sampler subclass of `lib` that visits n-1, ..., 0."""
    class Reversed(lib.utils.data.Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

        def __len__(self):
            return self.n
    return Reversed


class Pairs:
    """A plain map-style dataset (not a Dataset subclass, as duck typing allows)."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": float(i) / 4, "label": i % 3}


LOADERS = {
    "sampler": lambda lib, rev: dict(batch_size=3, sampler=rev(10)),
    "sampler_drop_last": lambda lib, rev: dict(batch_size=3, sampler=rev(10), drop_last=True),
    "batch_sampler": lambda lib, rev: dict(batch_sampler=lib.utils.data.BatchSampler(
        rev(10), 4, False)),
    "collate_fn": lambda lib, rev: dict(batch_size=4, collate_fn=lambda b: [len(b), b[0]]),
    "no_batching": lambda lib, rev: dict(batch_size=None),
}


@pytest.mark.parametrize("dataset", ["tensors", "pairs"])
@pytest.mark.parametrize("option", list(LOADERS))
def test_dataloader_options_match_torch(option, dataset):
    def loader(lib, rev):
        if dataset == "tensors":
            ds = lib.utils.data.TensorDataset(lib.arange(20.0).reshape(10, 2), lib.arange(10))
        else:
            ds = Pairs()
        return lib.utils.data.DataLoader(ds, **LOADERS[option](lib, rev))

    ours, ref = loader(lego, reversed_sampler(lego)), loader(torch, reversed_sampler(torch))
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref, strict=True):
        same_structure(a, b)


def test_iterable_dataset_batches_match_torch():
    def stream(lib):
        class Squares(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter([(float(i), i * i) for i in range(7)])
        return Squares()

    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        ours = list(lego.utils.data.DataLoader(stream(lego), **kwargs))
        ref = list(torch.utils.data.DataLoader(stream(torch), **kwargs))
        same_structure(ours, ref)


@pytest.mark.parametrize("kwargs", [
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_size=2, batch_sampler=[[0, 1]]),
    dict(shuffle=True, batch_sampler=[[0, 1]]),
    dict(drop_last=True, batch_sampler=[[0, 1]]),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
])
def test_dataloader_option_conflicts_raise_torchs_error(kwargs):
    with pytest.raises(ValueError) as ref:
        torch.utils.data.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(ValueError, match=str(ref.value).split(";")[0]):
        lego.utils.data.DataLoader(list(range(4)), **kwargs)


def test_concat_subset_and_random_split_match_torch():
    for lib in (torch, lego):
        a = lib.utils.data.TensorDataset(lib.arange(3))
        b = lib.utils.data.TensorDataset(lib.arange(10, 15))
        both = a + b
        sub = lib.utils.data.Subset(both, [6, 0, 3])
        got = ([int(both[i][0]) for i in range(len(both))], [int(x[0]) for x in sub],
               int(both[-1][0]))
        if lib is torch:
            expected = got
    assert got == expected
    parts = lego.utils.data.random_split(lego.utils.data.TensorDataset(lego.arange(10)),
                                         [0.5, 0.3, 0.2])
    ref_parts = torch.utils.data.random_split(range(10), [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [len(p) for p in ref_parts]


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                                  (2, 5, False), (7, 2, True)])
def test_distributed_sampler_shares_match_torch(n, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as Ref

    Ours = importlib.import_module(f"{ORACLE}.utils.data.distributed").DistributedSampler
    for rank in range(replicas):
        ours = Ours(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        ref = Ref(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(ref) and len(ours) == len(ref)


def test_distributed_sampler_shuffles_by_seed_and_epoch():
    Ours = importlib.import_module(f"{ORACLE}.utils.data.distributed").DistributedSampler
    shares = [Ours(range(12), 3, rank, seed=4) for rank in range(3)]
    first = [list(s) for s in shares]
    assert sorted(sum(first, [])) == list(range(12))  # the shares split one permutation
    assert [list(s) for s in shares] == first  # the same epoch, the same order
    for s in shares:
        s.set_epoch(1)
    assert [list(s) for s in shares] != first
    with pytest.raises(ValueError, match=re.escape("Invalid rank 3, rank should be in the "
                                                   "interval [0, 2]")):
        Ours(range(12), 3, 3)
    if ORACLE == "ch2_lego":  # no process group to ask for the world size and rank
        with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
            Ours(range(12))


def test_tensor_dataset_batches_are_copies_and_subclasses_are_asked():
    """The DataLoader's one-gather fetch must give torch's batches: a copy (an in-place edit
    of a batch leaves the dataset alone), a subclass's own __getitem__, any integer indices."""
    def run(lib):
        class Doubled(lib.utils.data.TensorDataset):
            def __getitem__(self, i):
                return tuple(t * 2 for t in super().__getitem__(i))

        data = lib.arange(12.0).reshape(6, 2)
        got = [b[0].tolist() for b in lib.utils.data.DataLoader(Doubled(data), batch_size=4)]
        for (x,) in lib.utils.data.DataLoader(lib.utils.data.TensorDataset(data), batch_size=3):
            x.mul_(-1)  # in place, as `x -= x.mean()` would
        got.append(data.tolist())
        plain = lib.utils.data.TensorDataset(data, lib.arange(6))
        for order in ([np.array([5, 0]), np.array([2])], [lib.tensor([1, -1])]):
            got.append([[t.tolist() for t in b]
                        for b in lib.utils.data.DataLoader(plain, batch_sampler=order)])
        return got

    assert run(lego) == run(torch)
