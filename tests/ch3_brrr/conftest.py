"""Shared set-up for the ch3_brrr suite: a tolerance from error bounds, the same on every CPU.

`bounds.at_scale(ours, ref, rel)` compares two runs of one float64 computation on different
devices (different summation orders): every element within rel * max|ref| of its tensor, since
a value that cancels toward 0 keeps the rounding error of the magnitudes it was computed from.
"""

from types import SimpleNamespace

import numpy as np
import pytest


def assert_at_scale(ours, ref, rel: float) -> None:
    """|ours - ref| <= rel * max|ref| elementwise (shapes equal, values finite)."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape, f"shape {ours.shape} != {ref.shape}"
    bound = rel * float(np.abs(ref).max(initial=0.0))
    excess = float((np.abs(ours - ref) - bound).max(initial=0.0))
    assert excess <= 0, f"exceeds {rel:g} of the tensor's scale by {excess:.3g}"


@pytest.fixture
def bounds():
    """`bounds.at_scale(ours, ref, rel)`: see the module docstring."""
    return SimpleNamespace(at_scale=assert_at_scale)
