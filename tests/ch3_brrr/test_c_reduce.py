"""C reductions, scans, sorts, the device matmul and the index kernels, against numpy."""

import numpy as np
import pytest

from ch3_brrr import kernels_c as K
from ch3_brrr.ladders.common import matmul_bound

pytestmark = pytest.mark.sec_3_7
EPS = {np.float32: float(np.finfo(np.float32).eps), np.float64: float(np.finfo(np.float64).eps)}


def strided(x):
    """x's values, laid out transposed in memory (a non-contiguous view)."""
    return np.ascontiguousarray(x.T).T


CASES = [((4, 5, 6), (0,)), ((4, 5, 6), (1,)), ((4, 5, 6), (2,)), ((4, 5, 6), (0, 2)),
         ((4, 5, 6), (0, 1, 2)), ((3, 70001), (1,)), ((0, 3), (1,)), ((3, 0), (1,)), ((), ())]


@pytest.mark.parametrize("shape,axes", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_within_the_summation_bound(shape, axes, dtype):
    rng = np.random.default_rng(0)
    for x in (rng.standard_normal(shape).astype(dtype), strided(rng.standard_normal(shape)
                                                              .astype(dtype))):
        out = np.empty(np.sum(x, axis=axes).shape, dtype)
        K.reduce("sum", out, x, axes)
        truth = np.sum(x.astype(np.float64), axis=axes)
        n = max(1, int(np.prod([shape[a] for a in axes])))
        bound = n * EPS[dtype] * np.sum(np.abs(x.astype(np.float64)), axis=axes)
        assert np.all(np.abs(out - truth) <= bound)


@pytest.mark.parametrize("shape,axes", [c for c in CASES if c[0] != (3, 0)], ids=str)
@pytest.mark.parametrize("op,fn", [("max", np.max), ("min", np.min), ("prod", np.prod)])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float64])
def test_folds_equal_numpy(shape, axes, op, fn, dtype):
    rng = np.random.default_rng(1)
    x = strided(rng.integers(-3, 4, shape).astype(dtype))
    ref = fn(x, axis=axes)
    out = np.empty(ref.shape, ref.dtype)
    K.reduce(op, out, x, axes)
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("dtype", [np.bool_, np.int64, np.float32])
def test_argmax_argmin_first_occurrence(axis, dtype):
    rng = np.random.default_rng(2)
    x = strided(rng.integers(0, 3, (4, 5, 6)).astype(dtype))  # many ties
    for op, fn in (("argmax", np.argmax), ("argmin", np.argmin)):
        out = np.empty(fn(x, axis=axis).shape, np.int64)
        K.reduce(op, out, x, (axis,))
        np.testing.assert_array_equal(out, fn(x, axis=axis))


def test_nan_wins_max_and_argmax():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [1.0, 2.0, 3.0, 0.0]], np.float32)
    out, arg = np.empty(2, np.float32), np.empty(2, np.int64)
    K.reduce("max", out, x, (1,))
    K.reduce("argmax", arg, x, (1,))
    np.testing.assert_array_equal(out, np.max(x, axis=1))
    np.testing.assert_array_equal(arg, np.argmax(x, axis=1))


def test_bool_sum_counts_and_any_all():
    rng = np.random.default_rng(3)
    x = rng.random((5, 7)) < 0.3
    out = np.empty(5, np.int64)
    K.reduce("sum", out, x, (1,))
    np.testing.assert_array_equal(out, x.sum(1))
    for op, fn in (("any", np.any), ("all", np.all)):
        b = np.empty(7, np.bool_)
        K.reduce(op, b, x, (0,))
        np.testing.assert_array_equal(b, fn(x, axis=0))


def test_max_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="zero-size array to reduction operation max"):
        K.reduce("max", np.empty(3, np.float32), np.empty((3, 0), np.float32), (1,))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum(axis):
    rng = np.random.default_rng(4)
    x = strided(rng.integers(-9, 9, (6, 8)))
    out = np.empty((6, 8), np.int64)
    K.cumsum(out, x, axis)
    np.testing.assert_array_equal(out, np.cumsum(x, axis=axis))


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64, np.bool_])
def test_argsort_is_stable_with_nan_last(descending, dtype):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, (7, 33)).astype(dtype)
    if dtype != np.bool_ and np.issubdtype(dtype, np.floating):
        x[2, 5] = x[2, 9] = x[4, 0] = np.nan
    out = np.empty(x.shape, np.int64)
    K.argsort(out, strided(x), 1, descending)
    if descending:  # the stable descending order, as ch2's cpu device computes it
        ref = x.shape[1] - 1 - np.flip(np.argsort(np.flip(x, 1), axis=1, kind="stable"), 1)
    else:
        ref = np.argsort(x, axis=1, kind="stable")
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("a_shape,b_shape", [((5, 7), (7, 3)), ((2, 1, 5, 7), (3, 7, 4)),
                                             ((6, 33, 17), (6, 17, 40)), ((0, 3), (3, 2)),
                                             ((2, 3), (3, 0)), ((3, 0), (0, 4))], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_device_matmul_batched_and_broadcast(a_shape, b_shape, dtype):
    rng = np.random.default_rng(6)
    a = rng.standard_normal(a_shape).astype(dtype)
    b = strided(rng.standard_normal(b_shape).astype(dtype))
    truth = np.matmul(a.astype(np.float64), b.astype(np.float64))
    out = np.empty(truth.shape, dtype)
    K.matmul(out, a, b)
    bound = matmul_bound(a, b, EPS[dtype]) if a.size and b.size else 0
    assert np.all(np.abs(out - truth) <= bound)


def test_integer_matmul_exact():
    rng = np.random.default_rng(7)
    a, b = rng.integers(-9, 9, (4, 6, 5)), rng.integers(-9, 9, (5, 3))
    out = np.empty((4, 6, 3), np.int64)
    K.matmul(out, a, b)
    np.testing.assert_array_equal(out, a @ b)


def test_embedding_lookup_and_its_backward():
    rng = np.random.default_rng(8)
    weight = rng.standard_normal((11, 4)).astype(np.float32)
    idx = rng.integers(0, 11, (3, 5))
    idx[0, :3] = 2  # a repeated token: its gradients must add up
    out = np.empty((3, 5, 4), np.float32)
    K.index(out, weight, idx, positions=(0,))
    np.testing.assert_array_equal(out, weight[idx])
    dweight = np.empty_like(weight)
    K.index_put(dweight, np.zeros_like(weight), out, idx, positions=(0,), accumulate=True)
    ref = np.zeros((11, 4))
    np.add.at(ref, idx, out.astype(np.float64))
    assert np.all(np.abs(dweight - ref) <= 15 * EPS[np.float32] * np.abs(ref))


def test_index_with_two_arrays_and_negative_indices_on_a_strided_source():
    rng = np.random.default_rng(9)
    x = strided(rng.standard_normal((4, 5, 6)))
    i, j = np.array([[0, -1], [2, 3]]), np.array([1, -2])
    key = (slice(None), i, j)
    out = np.empty(x[key].shape)
    K.index(out, x, i, j, positions=(1, 2))
    np.testing.assert_array_equal(out, x[key])


def test_index_put_assign_and_bad_index():
    x = np.zeros((4, 3))
    out = np.empty_like(x)
    K.index_put(out, x, np.array([1.0, 2.0, 3.0]), np.array([3, 0]), positions=(0,),
                accumulate=False)
    ref = x.copy()
    ref[[3, 0]] = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(out, ref)
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 0 with size 4"):
        K.index(np.empty((1, 3)), x, np.array([4]), positions=(0,))


@pytest.mark.parametrize("axis", [0, 1])
def test_gather_and_scatter_add_along_an_axis(axis):
    rng = np.random.default_rng(10)
    x = strided(rng.standard_normal((5, 6)))
    index = rng.integers(-5, 5, (3, 4))  # smaller than x in the other dim, as torch allows
    out = np.empty((3, 4))
    K.gather(out, x, index, axis)
    # torch.gather reads x only where index reaches: the other dim is cut to index's size
    head = x[tuple(slice(None) if d == axis else slice(0, m) for d, m in enumerate(index.shape))]
    np.testing.assert_array_equal(out, np.take_along_axis(head, index % x.shape[axis], axis))
    src = rng.standard_normal((3, 4))
    sa = np.empty_like(x)
    K.scatter_add(sa, x, index % x.shape[axis], src, axis)
    ref = x.copy()
    coords = list(np.indices(index.shape, sparse=True))
    coords[axis] = index % x.shape[axis]
    np.add.at(ref, tuple(coords), src)
    np.testing.assert_array_equal(sa, ref)  # both add in index order, so bit for bit
    with pytest.raises(IndexError, match=f"index 9 is out of bounds for dimension {axis}"):
        K.gather(out, x, np.full((3, 4), 9), axis)
