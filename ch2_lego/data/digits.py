"""The 8x8 handwritten digits shipped with chapter 2 (UCI, CC BY 4.0; see data/README.md).

load_digits returns numpy arrays, images scaled to [0, 1]: X (N,1,8,8) float32, Y (N,) int64,
N = 1797. split_digits cuts a fixed, seeded train/test split.
"""

import gzip
from pathlib import Path

import numpy as np

DIGITS_PATH = Path(__file__).with_name("digits.csv.gz")


def load_digits(path: Path = DIGITS_PATH):
    """All 1797 digits. Shapes: -> X (N,1,8,8) float32 in [0, 1], Y (N,) int64 in 0..9."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    images = (table[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return images, table[:, 64]


def split_digits(x, y, test_fraction: float = 0.2, seed: int = 0):
    """A seeded random split. Returns (x_train, y_train, x_test, y_test)."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = round(test_fraction * len(x))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]
