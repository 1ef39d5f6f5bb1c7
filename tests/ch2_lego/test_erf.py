"""erf on the cpu device, the core of the exact GELU: against math.erf (the C library's, within
an ulp) in float64 and torch.erf in float32, over a dense grid with the tails, the boundaries
of the approximation's ranges, denormals, signed zeros, infinities and nan."""

import importlib
import math
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# The ranges of |x| where the rational approximations change (fdlibm's), and the two ends.
BOUNDARIES = (2.0**-28, 0.84375, 1.25, 1 / 0.35, 6.0)


def grid(dtype) -> np.ndarray:
    """A dense grid of both signs: -7..7, tiny and denormal magnitudes, each boundary and its
    float neighbours, and the specials."""
    info = np.finfo(dtype)
    dense = np.linspace(-7, 7, 400_001, dtype=dtype)
    tiny = np.geomspace(float(info.smallest_subnormal), 1.0, 20_000).astype(dtype)
    edges = np.array(BOUNDARIES, dtype)
    near = np.concatenate([np.nextafter(edges, dtype(0)), edges, np.nextafter(edges, dtype(9))])
    special = np.array([0.0, np.inf, np.nan, info.max, info.smallest_normal], dtype)
    magnitudes = np.concatenate([tiny, near, special])
    return np.concatenate([dense, magnitudes, -magnitudes])


def ulps(got: np.ndarray, truth: np.ndarray, dtype) -> np.ndarray:
    """|got - truth| in units of the last place of truth, in dtype (nan where truth is nan)."""
    spacing = np.spacing(np.abs(truth).astype(dtype)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.abs(got.astype(np.float64) - truth) / spacing


def erf_of(x: np.ndarray) -> np.ndarray:
    return lego.tensor(x).erf().numpy()


def test_erf_float64_is_within_two_ulps_of_math_erf():
    # math.erf is the C library's (glibc, musl: under one ulp); ours is about one ulp too
    x = grid(np.float64)
    got, truth = erf_of(x), np.array([math.erf(v) for v in x])
    assert np.array_equal(np.isnan(got), np.isnan(x))
    finite = ~np.isnan(x)
    worst = ulps(got[finite], truth[finite], np.float64).max()
    assert worst <= 2, f"{worst} ulps"
    assert np.array_equal(np.signbit(got[finite]), np.signbit(truth[finite]))  # erf(-0) = -0


def test_erf_float32_is_within_two_ulps_of_torch_and_one_of_the_truth():
    x = grid(np.float32)
    got = erf_of(x)
    assert got.dtype == np.float32
    ref = torch.erf(torch.from_numpy(x)).numpy()
    truth = np.array([math.erf(float(v)) for v in x])  # float64: the float32 truth's rounding
    finite = ~np.isnan(x)
    assert np.array_equal(np.isnan(got), np.isnan(x))
    assert ulps(got[finite], ref[finite].astype(np.float64), np.float32).max() <= 2
    # both are near-correctly rounded: within an ulp of the exact value
    assert ulps(got[finite], truth[finite], np.float32).max() <= 1
    assert np.array_equal(np.signbit(got[finite]), np.signbit(ref[finite]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_of_a_strided_view_keeps_its_shape(dtype):
    x = np.random.default_rng(0).normal(size=(6, 5)).astype(dtype)
    got = lego.tensor(x).t().erf()
    ref = torch.tensor(x).t().erf()
    assert tuple(got.shape) == tuple(ref.shape)
    assert ulps(got.numpy(), ref.numpy().astype(np.float64), np.dtype(dtype)).max() <= 2


def test_erf_leaves_its_input_alone_and_gelu_runs_it_in_place():
    # the exact GELU computes erf in place (out is its input): both must give torch's values
    x = np.random.default_rng(1).normal(scale=2.0, size=(7, 9))
    t = lego.tensor(x)
    t.t().erf()
    assert np.array_equal(t.numpy(), x)
    got = lego.nn.functional.gelu(lego.tensor(x)).numpy()
    ref = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    # x Phi(x), Phi = (1 + erf) / 2: 1 + erf rounds to an absolute eps, which x scales
    bound = 4 * np.finfo(np.float64).eps * (1 + np.abs(x))
    assert (np.abs(got - ref) <= bound).all()
