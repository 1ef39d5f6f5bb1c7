"""The shipped data, the tokenizer, the example builders and the DataLoader (section 2.13).

Expected values are written out by hand ("emma" with a context of 3) or taken from
torch.utils.data on the same inputs.
"""

import importlib
import os

import numpy as np
import pytest
import torch

from ch2_lego.data import (
    CharTokenizer,
    context_windows,
    load_digits,
    load_names,
    padded_sequences,
    split_digits,
    split_words,
)

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))
pytestmark = pytest.mark.sec_2_13


def np_of(t) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def test_names_file_is_clean():
    words = load_names()
    assert len(words) == 5163 and len(set(words)) == len(words)
    assert all(w.isalpha() and w.islower() and w.isascii() for w in words)
    assert {"mary", "james", "emma"} <= set(words)


def test_split_is_seeded_disjoint_and_complete():
    words = load_names()
    train, val, test = split_words(words)
    assert (len(train), len(val), len(test)) == (4130, 516, 517)
    assert sorted(train + val + test) == sorted(words)
    assert not set(train) & set(val) and not set(val) & set(test)
    assert split_words(words)[1] == val  # same seed, same split
    assert split_words(words, seed=1)[1] != val


def test_tokenizer_round_trip_and_errors():
    tok = CharTokenizer(["emma", "olivia", "zoe"])
    assert tok.itos[0] == "." and tok.vocab_size == 1 + len(set("emmaoliviazoe"))
    assert tok.decode(tok.encode("zoe")) == "zoe"
    assert tok.encode("a") == [1]  # letters sorted after the boundary
    with pytest.raises(ValueError, match="'!' is not in the vocabulary"):
        tok.encode("emma!")


def test_context_windows_by_hand():
    tok = CharTokenizer(["emma"])  # . a e m -> 0 1 2 3
    x, y = context_windows(["emma"], tok, block_size=3)
    assert x.tolist() == [[0, 0, 0], [0, 0, 2], [0, 2, 3], [2, 3, 3], [3, 3, 1]]
    assert y.tolist() == [2, 3, 3, 1, 0]
    assert x.dtype == np.int64 and y.dtype == np.int64


def test_padded_sequences_by_hand():
    tok = CharTokenizer(["emma", "al"])  # . a e l m -> 0 1 2 3 4
    x, y = padded_sequences(["al", "emma"], tok, block_size=4)
    assert x.tolist() == [[0, 1, 3, 0], [0, 2, 4, 4]]
    # "emma" does not fit in 4 positions: it is cut, and its last target is the next letter
    # ('a'), not the end of the name.
    assert y.tolist() == [[1, 3, 0, -100], [2, 4, 4, 1]]


def test_digits():
    x, y = load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10)) and y.dtype == np.int64
    x_tr, y_tr, x_te, y_te = split_digits(x, y)
    assert len(x_te) == 359 and len(x_tr) + len(x_te) == 1797


def test_dataloader_in_order_matches_torch():
    xs, ys = np.arange(20.0).reshape(10, 2), np.arange(10)
    for drop_last in (False, True):
        batches = []
        for lib in (lego, torch):
            ds = lib.utils.data.TensorDataset(lib.tensor(xs), lib.tensor(ys))
            loader = lib.utils.data.DataLoader(ds, batch_size=4, drop_last=drop_last,
                                               num_workers=0, pin_memory=False)
            batches.append([(np_of(a), np_of(b)) for a, b in loader])
            assert len(loader) == (2 if drop_last else 3)
        for (xa, ya), (xb, yb) in zip(*batches, strict=True):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


def test_dataloader_shuffle_is_a_seeded_permutation():
    ds = lego.utils.data.TensorDataset(lego.arange(50))

    def epoch(seed):
        gen = lego.Generator().manual_seed(seed)
        loader = lego.utils.data.DataLoader(ds, batch_size=8, shuffle=True, generator=gen)
        return np.concatenate([np_of(b) for (b,) in loader])

    first = epoch(0)
    assert sorted(first.tolist()) == list(range(50))  # every example exactly once
    assert first.tolist() != list(range(50))
    np.testing.assert_array_equal(epoch(0), first)


def test_dataloader_generic_dataset_and_collate():
    class Squares(lego.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return lego.tensor([float(i), float(i * i)]), i

    batches = list(lego.utils.data.DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    features, labels = batches[1]
    assert np_of(features).tolist() == [[2.0, 4.0], [3.0, 9.0]]
    assert np_of(labels).tolist() == [2, 3]


def test_dataset_errors_and_random_split():
    with pytest.raises((ValueError, AssertionError), match="Size mismatch between tensors"):
        lego.utils.data.TensorDataset(lego.zeros(3), lego.zeros(4))
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        lego.utils.data.DataLoader(lego.utils.data.TensorDataset(lego.zeros(3)), batch_size=0)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        lego.utils.data.DataLoader(lego.utils.data.TensorDataset(lego.zeros(3)), num_workers=-1)
    ds = lego.utils.data.TensorDataset(lego.arange(10))
    a, b = lego.utils.data.random_split(ds, [0.7, 0.3], generator=lego.Generator().manual_seed(0))
    assert (len(a), len(b)) == (7, 3)
    seen = sorted(int(a[i][0]) for i in range(7)) + sorted(int(b[i][0]) for i in range(3))
    assert sorted(seen) == list(range(10))
