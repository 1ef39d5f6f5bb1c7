"""The C matmul ladder: every rung against the float64 product, on sizes off the tiles."""

import numpy as np
import pytest

from ch3_brrr.ladders.common import ValidationError, matmul_bound, validate
from ch3_brrr.ladders.matmul_c import CHECK_SIZES, RUNGS, matmul

pytestmark = pytest.mark.sec_3_4
EPS32 = float(np.finfo(np.float32).eps)


def random_sizes(seed, count, largest):
    rng = np.random.default_rng(seed)
    return [tuple(int(x) for x in rng.integers(1, largest, size=3)) for _ in range(count)]


@pytest.mark.parametrize("rung", list(RUNGS), ids=list(RUNGS.values()))
def test_rung_matches_float64(rung):
    rng = np.random.default_rng(rung)
    largest = 80 if rung == 1 else 700  # the naive rung is slow on big sizes
    for m, n, k in CHECK_SIZES[:6] + random_sizes(rung, 4, largest):
        if rung == 1 and max(m, n, k) > 300:
            continue
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        validate(f"{RUNGS[rung]} {m}x{n}x{k}", matmul(rung, a, b), ref, matmul_bound(a, b, EPS32))


@pytest.mark.parametrize("rung", list(RUNGS), ids=list(RUNGS.values()))
@pytest.mark.parametrize("shape", [(0, 4, 3), (4, 0, 3), (4, 3, 0)])
def test_empty_sizes(rung, shape):
    m, n, k = shape
    out = matmul(rung, np.ones((m, k), np.float32), np.ones((k, n), np.float32))
    np.testing.assert_array_equal(out, np.zeros((m, n), np.float32))  # an empty sum is 0


def test_nan_and_inf_propagate():
    # no -ffast-math: IEEE rules hold, so a NaN or inf input shows up in its row and column
    a = np.ones((8, 8), np.float32)
    b = np.ones((8, 8), np.float32)
    a[2, 3] = np.nan
    b[5, 6] = np.inf
    ref = a.astype(np.float64) @ b.astype(np.float64)
    for rung in RUNGS:
        out = matmul(rung, a, b)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
        np.testing.assert_array_equal(np.isinf(out), np.isinf(ref))


def test_strided_inputs_are_made_contiguous():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((40, 30)).astype(np.float32).T  # (30, 40), transposed view
    b = rng.standard_normal((40, 50)).astype(np.float32)[:, ::2]  # (40, 25), step 2
    ref = a.astype(np.float64) @ b.astype(np.float64)
    validate("v5 strided", matmul(5, a, b), ref, matmul_bound(a, b, EPS32))


def test_shape_mismatch_in_pytorch_words():
    msg = r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"
    with pytest.raises(ValueError, match=msg):
        matmul(4, np.ones((2, 3), np.float32), np.ones((4, 5), np.float32))


def test_unknown_rung_and_vectors_are_named_errors():
    m = np.ones((2, 2), np.float32)
    with pytest.raises(ValueError, match=r"no rung 9 in the C ladder \(rungs: 1, 2, 3, 4, 5\)"):
        matmul(9, m, m)
    with pytest.raises(ValueError, match="multiplies matrices: got 1-d and 2-d inputs"):
        matmul(2, np.ones(2, np.float32), m)


def test_validate_catches_a_wrong_answer_and_nan():
    ref = np.zeros((2, 2))
    with pytest.raises(ValidationError, match=r"1 of 4 values off"):
        validate("x", np.array([[0, 0], [0, 1e-3]], np.float32), ref, 1e-4)
    with pytest.raises(ValidationError, match=r"at \(0, 1\)"):
        validate("x", np.array([[0, np.nan], [0, 0]], np.float32), ref, 1.0)


def test_threads_rung_with_several_threads():
    # the suite runs with OMP_NUM_THREADS=1, so split the rows among 3 threads in a subprocess
    import os
    import subprocess
    import sys
    script = (
        "import numpy as np\n"
        "from ch3_brrr.ladders.matmul_c import check\n"
        "check(rungs=[5], sizes=[(1, 1, 1), (2, 9, 4), (131, 97, 300), (200, 600, 513)])\n"
    )
    env = dict(os.environ, OMP_NUM_THREADS="3")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
