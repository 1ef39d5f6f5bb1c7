"""Unit tests of storage.py's free functions and View algebra, against numpy and torch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ch2_lego.errors import OutOfRangeError, ShapeError
from ch2_lego.storage import (
    View,
    broadcast_shape,
    contiguous_strides,
    index_to_position,
    normalize_dim,
    unravel_index,
)

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
nonempty = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


@pytest.mark.sec_2_1
@given(shapes)
@settings(max_examples=50, deadline=None)
def test_contiguous_strides_match_torch(shape):
    assert contiguous_strides(shape) == torch.empty(shape).stride()


@pytest.mark.sec_2_1
@given(nonempty, st.data())
@settings(max_examples=50, deadline=None)
def test_index_to_position_and_unravel_match_numpy(shape, data):
    index = tuple(data.draw(st.integers(0, n - 1)) for n in shape)
    position = index_to_position(index, contiguous_strides(shape))
    assert position == np.ravel_multi_index(index, shape)
    assert unravel_index(position, shape) == index


@pytest.mark.sec_2_1
def test_normalize_dim_wraps_and_names_the_range():
    assert normalize_dim(-1, 3) == 2 and normalize_dim(0, 0) == 0
    with pytest.raises(OutOfRangeError, match=r"range of \[-3, 2\], but got 3"):
        normalize_dim(3, 3)


@pytest.mark.sec_2_7
@given(st.lists(shapes, min_size=1, max_size=3))
@settings(max_examples=80, deadline=None)
def test_broadcast_shape_agrees_with_numpy(shape_list):
    try:
        expected = np.broadcast_shapes(*shape_list)
    except ValueError:
        with pytest.raises(ShapeError):
            broadcast_shape(*shape_list)
    else:
        assert broadcast_shape(*shape_list) == expected


@pytest.mark.sec_2_7
def test_broadcast_error_message_is_torchs():
    with pytest.raises(ShapeError, match=r"tensor a \(3\) must match .* tensor b \(4\) at "
                                         r"non-singleton dimension 1"):
        broadcast_shape((2, 3), (2, 4))


@pytest.mark.sec_2_2
@given(nonempty, st.data())
@settings(max_examples=60, deadline=None)
def test_view_reshape_is_torchs_compute_stride(shape, data):
    """View.reshape returns a view exactly when torch's view succeeds, with its strides."""
    perm = data.draw(st.permutations(range(len(shape))))
    t = torch.empty(shape).permute(*perm)
    v = View.contiguous(shape).permute(tuple(perm))
    numel = int(np.prod(shape))
    target = data.draw(st.sampled_from([(numel,), (1, numel), (numel, 1)] + [
        (a, numel // a) for a in range(2, numel) if numel % a == 0]))
    got = v.reshape(target)
    try:
        ref = t.view(target)
    except RuntimeError:
        assert got is None
    else:
        assert got is not None and got.strides == ref.stride()


@pytest.mark.sec_2_2
def test_expand_gives_stride_zero_and_slice_moves_the_offset():
    v = View.contiguous((3, 1)).expand((2, 3, 4))
    assert v.strides == (0, 1, 0) and v.shape == (2, 3, 4)
    s = View.contiguous((4, 3)).slice(0, 1, 4, 2)
    assert (s.shape, s.strides, s.offset) == ((2, 3), (6, 1), 3)


@pytest.mark.sec_2_2
@given(nonempty, st.data())
@settings(max_examples=40, deadline=None)
def test_unsqueeze_and_is_contiguous_match_torch(shape, data):
    perm = data.draw(st.permutations(range(len(shape))))
    t = torch.empty(shape).permute(*perm)
    v = View.contiguous(shape).permute(tuple(perm))
    assert v.is_contiguous() == t.is_contiguous()
    dim = data.draw(st.integers(0, len(shape)))
    assert v.unsqueeze(dim).strides == t.unsqueeze(dim).stride()


@pytest.mark.sec_2_1
def test_contiguous_views_are_shared_and_hold_python_ints():
    """View.contiguous caches one View per shape (Views are immutable): the cached entry must be
    the same for equal shapes given as numpy ints, and print as plain ints."""
    a = View.contiguous((np.int64(2), np.int64(3)))
    b = View.contiguous((2, 3))
    assert a is b and b.strides == (3, 1) and b.offset == 0
    assert all(type(n) is int for n in b.shape) and repr(b.shape) == "ch2_lego.Size([2, 3])"
    assert View.contiguous((2, 3), offset=4).offset == 4
