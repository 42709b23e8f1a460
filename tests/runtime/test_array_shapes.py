"""The pure-Python parts of the array core, against NumPy: broadcasting, no-copy
reshape strides, basic-index views, CuPy's `_reduce_dims`, axis normalisation.

Rule: no device; each result is checked by building the same view with NumPy's
`as_strided` over a NumPy buffer.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wgpy_runtime import _indexing, _shapes


def _strided(buffer, offset, shape, strides):
    item = buffer.itemsize
    return np.lib.stride_tricks.as_strided(buffer[offset:], shape, [s * item for s in strides])


@pytest.mark.parametrize(
    "shapes", [((2, 3), (3,)), ((4, 1, 5), (2, 1)), ((), (3, 1)), ((0, 3), (1,)), ((1,), (1, 1, 7))]
)
def test_broadcast_shapes(shapes):
    assert _shapes.broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)


def test_broadcast_error_is_numpys():
    with pytest.raises(ValueError, match="could not be broadcast"):
        _shapes.broadcast_shapes((2, 3), (4,))


def _views():
    base = np.arange(2 * 3 * 4 * 5)
    yield (2, 3, 4, 5), _shapes.c_strides((2, 3, 4, 5)), 0
    yield (3, 2, 5, 4), (20, 60, 1, 5), 0  # transposed
    yield (2, 3, 2, 5), (60, 20, 10, 1), 0  # every other row
    yield (2, 3, 4, 5), (60, 20, 5, -1), 4  # reversed last axis
    yield (1, 3, 1, 5), (0, 20, 0, 1), 0
    del base


RESHAPE_TARGETS = [(30, 4), (6, 20), (120,), (2, 60), (2, 3, 20), (5, 24), (2, 1, 3, 20, 1)]


@pytest.mark.parametrize("view", list(_views()), ids=str)
@pytest.mark.parametrize("target", RESHAPE_TARGETS, ids=str)
def test_view_reshape_agrees_with_numpy(view, target):
    shape, strides, offset = view
    buffer = np.arange(200)
    a = _strided(buffer, offset, shape, strides)
    if a.size != np.prod(target):
        target = (a.size,)
    new = _indexing.view_reshape(shape, strides, target)
    expected = a.reshape(target)
    if new is None:
        assert not np.shares_memory(expected, a)  # NumPy had to copy too
    else:
        np.testing.assert_array_equal(_strided(buffer, offset, target, new), expected)


@pytest.mark.parametrize(
    "key",
    [
        (1,),
        (slice(None, None, -1), 2),
        (None, Ellipsis, -1),
        (slice(1, 3), None, slice(None, None, -2)),
    ],
    ids=repr,
)
def test_basic_view_agrees_with_numpy(key):
    buffer = np.arange(100)
    shape, strides, offset = (4, 3, 5), (15, 5, 1), 2
    new_shape, new_strides, new_offset = _indexing.basic_view(shape, strides, offset, key)
    expected = _strided(buffer, offset, shape, strides)[key]
    np.testing.assert_array_equal(_strided(buffer, new_offset, new_shape, new_strides), expected)


@pytest.mark.parametrize(
    "shape,strides",
    [
        ((2, 3, 4), [(12, 4, 1)]),
        ((2, 3, 4), [(12, 4, 1), (0, 0, 1)]),
        ((2, 3, 4), [(1, 2, 6)]),
        ((2, 1, 4), [(4, 99, 1)]),
        ((3, 4), [(8, 2)]),
    ],
)
def test_reduce_dims_keeps_c_order(shape, strides):
    new_shape, new_strides = _shapes.reduce_dims(shape, strides)
    buffer = np.arange(100)
    for old, new in zip(strides, new_strides):
        np.testing.assert_array_equal(
            _strided(buffer, 0, new_shape, new).reshape(-1),
            _strided(buffer, 0, shape, old).reshape(-1),
        )
    if all(s == _shapes.c_strides(shape) for s in strides):
        assert len(new_shape) == 1


def test_normalize_axes():
    assert _shapes.normalize_axes((-1, 0), 3) == (0, 2)
    assert _shapes.normalize_axes(None, 2) == (0, 1)
    with pytest.raises(np.exceptions.AxisError):
        _shapes.normalize_axes(3, 3)
    with pytest.raises(ValueError, match="duplicate"):
        _shapes.normalize_axes((1, -2), 3)


@pytest.mark.parametrize("shape", list(itertools.product((1, 3), (2, 1), (4,))))
def test_contiguity_flags(shape):
    a = np.zeros(shape)[::-1]
    strides = tuple(s // 8 for s in a.strides)
    assert _shapes.is_c_contiguous(a.shape, strides) == a.flags.c_contiguous
    assert _shapes.is_f_contiguous(a.shape, strides) == a.flags.f_contiguous
