"""Temporaries of big creations and reductions, measured with tracemalloc (numpy reports its
allocations to it). Bounds come from the sizes: the result itself, plus the fixed-size pieces
the code works in (creation.ARANGE_CHUNK, function.CHUNK), plus 64 KiB for Python objects.

Before issue 11, arange(2e8, dtype=float32) built a float64 copy of the whole range (1.6 GB) and
var/norm of 1e7 float32 values took about 76 MB of temporaries (torch: 3 MB), over all dims or
over one."""

import os
import tracemalloc

import numpy as np
import pytest

if os.environ.get("SINGSYS_ORACLE", "ch2_lego") != "ch2_lego":
    pytest.skip("tracemalloc sees numpy's memory, not torch's", allow_module_level=True)

import ch2_lego as lego  # noqa: E402
from ch2_lego.creation import ARANGE_CHUNK  # noqa: E402
from ch2_lego.function import CHUNK  # noqa: E402

pytestmark = pytest.mark.sec_2_8

N = 10_000_000
SLACK = 64 * 1024


def peak_bytes(fn) -> int:
    """Bytes allocated at the peak of fn(), above what was allocated before it. fn runs once
    first, untraced, so one-time costs (a first import, a kernel cache filled on first use)
    are not counted as temporaries; that depended on which tests ran earlier in the worker."""
    del_me = fn()
    del del_me
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    del result
    return peak


def test_arange_builds_no_float64_copy():
    peak = peak_bytes(lambda: lego.arange(float(N), dtype=lego.float32))
    assert peak <= 4 * N + 2 * 8 * ARANGE_CHUNK + SLACK, peak  # the result and one piece


def test_arange_values_are_float64_rounded_once():
    """Each value is start + i * step in float64, then rounded to float32, as torch's."""
    a = lego.arange(0.1, 50_000.0, 0.7, dtype=lego.float32).numpy()
    expected = (0.1 + np.arange(len(a), dtype=np.float64) * 0.7).astype(np.float32)
    np.testing.assert_array_equal(a, expected)


@pytest.mark.parametrize("op", ["var", "std", "norm"])
def test_full_reductions_work_in_pieces(op):
    x = lego.randn(N)
    pieces = -(-N // CHUNK)
    peak = peak_bytes(lambda: getattr(x, op)())
    assert peak <= 4 * CHUNK + 8 * pieces + SLACK, peak  # one scratch piece, the partial sums


@pytest.mark.parametrize("op", ["var", "std", "norm"])
@pytest.mark.parametrize("shape,dim", [((1000, N // 1000), 1), ((N // 1000, 1000), 0)])
def test_reductions_over_a_dim_work_in_slabs(op, shape, dim):
    """Slabs of about CHUNK elements along the first kept dim (one slice if larger)."""
    x = lego.randn(*shape)
    kept = shape[1 - dim]
    slab = max(CHUNK, shape[dim])
    peak = peak_bytes(lambda: getattr(x, op)(dim) if op != "norm" else x.norm(dim=dim))
    # the scratch slab, the sums and the result, and numpy's iterator buffers (a strided slab
    # is reduced through buffers of np.getbufsize() elements per operand)
    assert peak <= 4 * slab + 2 * 4 * kept + 3 * 8 * np.getbufsize() + SLACK, peak


@pytest.mark.parametrize("op", ["var", "norm"])
def test_piecewise_reductions_are_accurate(op):
    """Against float64 numpy: the float32 result is within a few roundings of the truth
    (pairwise sums inside each piece, then a sum of the pieces: error ~ log2(n) eps)."""
    rng = np.random.default_rng(0)
    data = (rng.standard_normal(3 * CHUNK + 5) * 3 + 1).astype(np.float32)
    truth = {"var": np.var(data.astype(np.float64), ddof=1),
             "norm": np.linalg.norm(data.astype(np.float64))}[op]
    ours = float(getattr(lego.tensor(data), op)())
    assert abs(ours - truth) <= 64 * np.finfo(np.float32).eps * truth
