"""A float `%` and `//` in graph mode (book 4.8) against torch bit for bit: torch.remainder
and torch.floor_divide compute both from fmod, so infinities, signed zeros, a quotient that
a / b rounds up to an integer (1 // 0.1 is 9) and division by zero come out as in torch.
torch's reference is its scalar kernel, one element at a time: its vectorized float32 fmod
divides first, so for |a / b| past float32's range (1e30 % -1e-30) it gives nan where the
scalar kernel and C's fmodf give the exact remainder."""

import numpy as np
import pytest
import torch

import ch2_lego as lego
import ch4_pt2  # noqa: F401  (registers the device "lazy")

pytestmark = pytest.mark.sec_4_8

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.1, -0.1, 2.5, -2.5, 3.0, -7.0, 1e30, -1e-30,
           np.inf, -np.inf, np.nan]


def operands(dtype):
    """Every pair of special values, and 4096 random pairs of mixed magnitudes and signs."""
    special = np.array(SPECIAL, dtype)
    a, b = (m.ravel() for m in np.meshgrid(special, special))
    rng = np.random.default_rng(0)
    ra, rb = (rng.standard_normal(4096) * 10.0 ** rng.integers(-3, 4, 4096) for _ in range(2))
    return np.concatenate([a, ra.astype(dtype)]), np.concatenate([b, rb.astype(dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["remainder", "floor_divide"])
def test_float_remainder_and_floor_division_are_torchs_bit_for_bit(op, dtype):
    a, b = operands(dtype)
    fn = {"remainder": lambda x, y: x % y, "floor_divide": lambda x, y: x // y}[op]
    got = fn(lego.tensor(a, device="lazy"), lego.tensor(b, device="lazy")).numpy()
    want = np.array([fn(torch.tensor([x]), torch.tensor([y])).item() for x, y in zip(a, b)],
                    dtype)
    same = (got.view(np.uint8).reshape(len(a), -1) == want.view(np.uint8).reshape(len(a), -1)
            ).all(1) | (np.isnan(got) & np.isnan(want))
    assert same.all(), f"{op}({a[~same][:4]}, {b[~same][:4]}): {got[~same][:4]}, torch " \
                       f"{want[~same][:4]}"
