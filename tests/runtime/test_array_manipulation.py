"""Manipulation, indexing beyond views, products and random arrays against NumPy on both
backends: `concatenate stack split squeeze expand_dims broadcast_to moveaxis flip where`,
integer-array and boolean-mask indexing (get and set), `dot matmul tensordot einsum`,
and `wgpy_runtime.random`.

Rule: one body per case with `xp`; views are also checked not to copy.
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import (
    numpy_wgpy_allclose,
    numpy_wgpy_array_equal,
    numpy_wgpy_raises,
    shaped_arange,
    shaped_random,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)

# ---------------------------------------------------------------------------- joins


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int8", "complex64"])
@pytest.mark.parametrize(
    "shape, make",
    [
        ((4, 5, 6, 16), lambda x, xp: xp.rollaxis(x, 3, 1)),
        ((3, 5, 6, 7), lambda x, xp: xp.rollaxis(x, 3, 1)),
        ((24, 40), lambda x, xp: x.T),
        ((2, 16, 3, 8), lambda x, xp: x.transpose(3, 0, 2, 1)[::-1, :, 1:]),
    ],
)
@numpy_wgpy_array_equal()
def test_transposing_copies(shape, make, dtype, xp):
    """`ascontiguousarray` of transposed, rolled and reversed views, every element in place."""
    return xp.ascontiguousarray(make(shaped_arange(shape, xp, dtype), xp))


@pytest.mark.parametrize("axis", [0, 1, -1, None])
@numpy_wgpy_array_equal()
def test_concatenate(axis, xp):
    a, b = shaped_arange((2, 3), xp, "int32"), shaped_arange((2, 3), xp, "int32", start=50)
    return xp.concatenate([a, b[:, ::-1], a.T.T], axis=axis)


@numpy_wgpy_array_equal()
def test_concatenate_promotes(xp):
    return xp.concatenate([shaped_arange((2,), xp, "int8"), shaped_arange((3,), xp, "float32")])


@numpy_wgpy_raises()
def test_concatenate_shape_error(xp):
    return xp.concatenate([shaped_arange((2, 3), xp), shaped_arange((2, 4), xp)])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@numpy_wgpy_array_equal()
def test_stack(axis, xp):
    a, b = shaped_arange((2, 3), xp), shaped_arange((2, 3), xp, start=9)
    return xp.stack([a, b, a], axis=axis)


@numpy_wgpy_array_equal()
def test_hstack_vstack(xp):
    a, b = shaped_arange((3,), xp), shaped_arange((3,), xp, start=4)
    return xp.hstack([a, b]), xp.vstack([a, b]), xp.vstack([a.reshape(1, 3), b])


@pytest.mark.parametrize("sections", [3, [1, 4], [0, 2, 2, 5]])
@numpy_wgpy_array_equal()
def test_split(sections, xp):
    return xp.split(shaped_arange((6, 4), xp), sections)


@numpy_wgpy_array_equal()
def test_array_split_and_split_axis(xp):
    a = shaped_arange((4, 7), xp)
    return xp.array_split(a, 3, axis=1), xp.split(a, 2, axis=0)


@numpy_wgpy_raises()
def test_split_unequal(xp):
    return xp.split(shaped_arange((5,), xp), 2)


# ---------------------------------------------------------------------------- views


@numpy_wgpy_array_equal()
def test_shape_views(xp):
    a = shaped_arange((2, 1, 3, 1), xp)
    return (
        xp.squeeze(a),
        a.squeeze(axis=1),
        xp.expand_dims(a, 0),
        xp.expand_dims(a, (1, -1)),
        xp.broadcast_to(shaped_arange((3, 1), xp), (2, 3, 4)),
        xp.moveaxis(a, 0, -1),
        xp.swapaxes(a, 0, 2),
        xp.flip(a, 2),
        xp.rollaxis(a, 2),
        xp.atleast_2d(a[0, 0, 0, 0]),
    )


@numpy_wgpy_raises()
def test_squeeze_error(xp):
    return shaped_arange((2, 3), xp).squeeze(axis=0)


def test_manipulations_are_views():
    a = wp.arange(24).reshape(2, 3, 4)
    for v in (
        wp.squeeze(a[:1]),
        wp.expand_dims(a, 1),
        wp.broadcast_to(a, (5, 2, 3, 4)),
        wp.moveaxis(a, 0, 2),
        wp.flip(a),
        a.diagonal(),
        wp.split(a, 2, axis=2)[1],
    ):
        assert v._buf is a._buf


@numpy_wgpy_array_equal()
def test_diagonal_trace_repeat_tile(xp):
    a = shaped_arange((4, 5), xp)
    return (
        a.diagonal(),
        xp.diagonal(a, 1),
        xp.diagonal(a, -2),
        xp.trace(a),
        xp.repeat(a[0], 2),
        xp.repeat(a, [1, 0, 2, 1], axis=0),
        xp.tile(a[0], (2, 2)),
    )


@numpy_wgpy_allclose()
def test_where(xp):
    a = shaped_random((3, 4), xp, "float32", seed=1)
    return (
        xp.where(a > 0, a, 0),
        xp.where(a < 0, -1, 1),
        xp.where(a > 0, a, shaped_arange((4,), xp)),
    )


@pytest.mark.parametrize("dtype", ("int8", "int32", "float16"))
@numpy_wgpy_array_equal()
def test_where_keeps_dtype(dtype, xp):
    a = shaped_arange((5,), xp, dtype)
    return xp.where(a > 2, a, a * 0), xp.where(a > 2)[0]


# ---------------------------------------------------------------------------- indexing

ADVANCED_KEYS = [
    [0, 2],
    ([1, -1],),
    (slice(None), [3, 0, 3]),
    ([0, 1], [2, 3]),
    ([[0], [1]], [1, 2, 3]),
    (Ellipsis, [0, -1]),
    (1, slice(None), [0, 2]),
    ([0, 1], slice(1, 3), [2, 3]),
    (slice(None, None, -1), None, [1]),
    (np.array([True, False, True]),),
    (slice(None), np.array([True, False, True, False])),
    True,  # boolean scalars: a new axis of one, indexed by [0] (True) or [] (False)
    (Ellipsis, False),
    (1, True, [0, 2]),
    (np.True_, np.array([1, 0]), True),
    (None, np.array(False), 1),
]


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
@numpy_wgpy_array_equal()
def test_advanced_getitem(key, xp):
    return shaped_arange((3, 4, 5), xp, "int32")[key]


@numpy_wgpy_array_equal()
def test_device_index_arrays_and_masks(xp):
    a = shaped_random((4, 5), xp, "float32", seed=2)
    idx = xp.asarray(np.array([3, 0, 0, 2]))
    zero_d = xp.asarray(np.array(1))  # as iterating a device array gives
    return (
        a[idx],
        a[a > 0],
        a[:, idx[:2]],
        a[xp.arange(4), idx],
        a.take(idx, axis=1),
        a[zero_d],
        a[zero_d, zero_d],
        a[:, 0][zero_d],
    )


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
@numpy_wgpy_array_equal()
def test_advanced_setitem(key, xp):
    a = shaped_arange((3, 4, 5), xp, "int32")
    a[key] = -7
    b = shaped_arange((3, 4, 5), xp, "int32")
    b[key] = shaped_arange(b[key].shape, xp, "int32", start=100)
    return a, b


@numpy_wgpy_array_equal()
def test_mask_setitem(xp):
    a = shaped_random((4, 5), xp, "float32", seed=3)
    a[a < 0] = 0
    b = shaped_arange((4, 5), xp, "int16")
    b[b % 3 == 0] = shaped_arange((7,), xp, "int16", start=-10)
    return a, b


@numpy_wgpy_array_equal()
def test_setitem_basic_and_casting(xp):
    a = xp.zeros((4, 6), "int32")
    a[1] = 5
    a[2, ::2] = shaped_arange((3,), xp, "float32")
    a[:, -1] = shaped_arange((4,), xp, "int8")
    a[3] = 2.9
    a[..., 1] = a[..., 0]
    return a


@numpy_wgpy_array_equal()
def test_setitem_overlapping_views(xp):
    a = shaped_arange((8,), xp, "int32")
    a[1:] = a[:-1]
    b = shaped_arange((3, 3), xp, "int32")
    b[:] = b.T
    return a, b


@pytest.mark.parametrize("key", [[5], (0, [0, 9]), [[0, 1], [4, 0]], [1.5]], ids=repr)
@numpy_wgpy_raises()
def test_bad_advanced_indices(key, xp):
    return shaped_arange((3, 4), xp)[key]


@numpy_wgpy_raises()
def test_setitem_int_overflow(xp):
    a = xp.zeros(3, "int8")
    a[0] = 300


@numpy_wgpy_array_equal()
def test_nonzero_and_friends(xp):
    a = shaped_random((3, 4), xp, "int32", scale=2, seed=4)
    return xp.nonzero(a), xp.flatnonzero(a), xp.argwhere(a), xp.count_nonzero(a)


# ---------------------------------------------------------------------------- products

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 2)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((1, 7), (7, 1)),
]


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", ("int32", "float16", "float32", "float64"))
@numpy_wgpy_allclose(rtol=2e-3, atol=1e-3)
def test_matmul(dtype, a_shape, b_shape, xp):
    a = shaped_random(a_shape, xp, dtype, scale=3, seed=5)
    b = shaped_random(b_shape, xp, dtype, scale=3, seed=6)
    return xp.matmul(a, b), a @ b


@numpy_wgpy_allclose(rtol=1e-4)
def test_matmul_of_views_and_mixed_dtypes(xp):
    a = shaped_random((6, 8), xp, "float32", seed=7)
    b = shaped_random((8, 3), xp, "int8", seed=8)
    return a[::2].T.T @ b, a.T[::-1] @ a, xp.dot(a, b)


@numpy_wgpy_raises()
def test_matmul_shape_error(xp):
    return shaped_arange((3, 4), xp) @ shaped_arange((3, 4), xp)


@numpy_wgpy_allclose(rtol=1e-4)
def test_dot_tensordot_inner_outer(xp):
    a = shaped_random((2, 3, 4), xp, "float32", seed=9)
    b = shaped_random((4, 3, 2), xp, "float32", seed=10)
    v = shaped_random((4,), xp, "float32", seed=11)
    return (
        xp.dot(a, b),
        xp.tensordot(a, b, axes=([1, 2], [1, 0])),
        xp.tensordot(a, v, 1),
        xp.inner(a, v),
        xp.outer(v, v),
        xp.vdot(v, v),
        xp.dot(v, 2.0),
    )


EINSUMS = {
    "ij,jk->ik": [(3, 4), (4, 2)],
    "ij->ji": [(3, 4)],
    "ii->i": [(4, 4)],
    "ij->": [(3, 4)],
    "ij,ij->ij": [(3, 4), (3, 4)],
    "i,j->ij": [(3,), (5,)],
    "bij,bjk->bik": [(2, 3, 4), (2, 4, 5)],
    "ij,kj": [(3, 4), (2, 4)],
    "ii": [(3, 3)],
    # '...': broadcast axes, in the middle too, implicit outputs, size-1 broadcasting
    "...ij,jk->...ik": [(2, 3, 4), (4, 5)],
    "...ij,jk": [(2, 3, 4), (4, 5)],
    "i...->...": [(2, 3, 4)],
    "...i,...i->...": [(2, 3, 4), (3, 4)],
    "...ii->...i": [(2, 3, 3)],
    "...,...": [(2, 3, 4), (1, 3, 4)],
    "ij...->...ji": [(2, 3, 4)],
    "i...j,j->i...": [(2, 3, 4), (4,)],
}


@pytest.mark.parametrize("subscripts", EINSUMS)
@numpy_wgpy_allclose(rtol=1e-4)
def test_einsum(subscripts, xp):
    arrays = [shaped_random(s, xp, "float32", seed=k) for k, s in enumerate(EINSUMS[subscripts])]
    return xp.einsum(subscripts, *arrays)


@numpy_wgpy_allclose(rtol=1e-4)
def test_einsum_options(xp):
    a, b = shaped_random((3, 4), xp, "float32", seed=1), shaped_random((4, 5), xp, "float32")
    return (
        xp.einsum("ij,jk->ik", a, b, optimize=True),
        xp.einsum("ij,jk", a, b, optimize="greedy"),
        xp.einsum("ij->j", a, dtype="float64"),
    )


@pytest.mark.parametrize("subscripts,shapes", [("...i->i", [(1, 4)]), ("i.j", [(2, 3)])])
@numpy_wgpy_raises()
def test_einsum_errors(subscripts, shapes, xp):
    return xp.einsum(subscripts, *[shaped_random(s, xp, "float32") for s in shapes])


# ---------------------------------------------------------------------------- random


def test_random_matches_numpy_with_a_seed():
    wp.random.seed(3)
    np.random.seed(3)
    a = wp.random.rand(3, 4)
    assert isinstance(a, wp.ndarray) and a.dtype == np.float64
    np.testing.assert_allclose(a.get(), np.random.rand(3, 4), rtol=1e-6)


def test_random_functions():
    wp.random.seed(0)
    shapes = {
        "randn": wp.random.randn(2, 3),
        "uniform": wp.random.uniform(-1, 1, (5,)),
        "normal": wp.random.normal(2, 0.5, size=(2, 2)),
        "random": wp.random.random((4,)),
        "randint": wp.random.randint(0, 10, size=(3, 3)),
        "rand32": wp.random.rand(2, 2, dtype=np.float32),
    }
    assert shapes["randn"].shape == (2, 3)
    assert shapes["randint"].dtype == np.int64
    assert shapes["rand32"].dtype == np.float32
    values = shapes["randint"].get()
    assert values.min() >= 0 and values.max() < 10
    u = shapes["uniform"].get()
    assert (u >= -1).all() and (u < 1).all()
    perm = wp.random.permutation(6).get()
    assert sorted(perm.tolist()) == list(range(6))
    assert wp.random.choice(5, 3).shape == (3,)
