"""ndarray and creation against NumPy on both backends: attributes, host transfer,
conversions, views without copies (slicing with negative steps, None, Ellipsis,
transpose, reshape), copies and casts, buffer lifetime, the 64-bit storage policy.

Rule: views are checked two ways — values against NumPy, and that they share the
buffer (no copy); buffer frees are counted on the device.
"""

from __future__ import annotations

import gc
import os
import warnings

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import (
    ALL_DTYPES,
    numpy_wgpy_allclose,
    numpy_wgpy_array_equal,
    numpy_wgpy_raises,
    shaped_arange,
    shaped_random,
    under_fast_64bit_policy,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)
from wgpy_runtime import _dtypes

# ---------------------------------------------------------------------------- creation


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@numpy_wgpy_array_equal()
def test_asarray_roundtrip(dtype, xp):
    return shaped_random((2, 3, 4), xp, dtype, seed=1)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@numpy_wgpy_array_equal()
def test_zeros_ones_full(dtype, xp):
    return xp.zeros((2, 3), dtype), xp.ones((4,), dtype), xp.full((2, 2), 1, dtype)


@numpy_wgpy_array_equal()
def test_default_dtypes(xp):
    return xp.zeros(3), xp.ones((2, 2)), xp.arange(5), xp.full(3, 2.5), xp.full(3, 7)


@pytest.mark.parametrize(
    "args", [(5,), (2, 9), (3, 20, 4), (10, 0, -3), (0.5, 3.0, 0.5), (-2.0, 2.0, 0.25), (5, 5)]
)
@numpy_wgpy_allclose()
def test_arange(args, xp):
    return xp.arange(*args)


@pytest.mark.parametrize("dtype", ("int8", "int32", "float16", "float32", "uint8"))
@numpy_wgpy_allclose()
def test_arange_dtype(dtype, xp):
    return xp.arange(1, 11, 2, dtype=dtype)


@pytest.mark.parametrize("num,endpoint", [(5, True), (7, False), (1, True), (0, True), (50, True)])
@numpy_wgpy_allclose(rtol=1e-6)
def test_linspace(num, endpoint, xp):
    return xp.linspace(-1.5, 2.5, num, endpoint=endpoint)


@numpy_wgpy_allclose()
def test_linspace_int_and_retstep(xp):
    y, step = xp.linspace(0, 10, 4, retstep=True)
    return xp.linspace(0, 10, 7, dtype="int32"), y, xp.asarray(step)


@pytest.mark.parametrize(
    "args",
    [(2**40, 2**40 + 50, 7), (0.1, 1.0, 0.1), (1e10, 1e10 + 100, 0.3), (-3.7, 8.2, 0.11), (1 / 3,)],
)
@numpy_wgpy_array_equal()
def test_arange_and_linspace_are_numpy_bit_for_bit(args, xp):
    """Under the exact 64-bit policy (the default): NumPy's fill rule, in 64 bits."""
    if wp.get_64bit_policy() != "exact":
        pytest.skip("64-bit values are held in 32 bits under the fast policy")
    lo, hi = args[0], args[0] + 7.5
    return (
        xp.arange(*args),
        xp.linspace(lo, hi, 33),
        xp.linspace(lo, hi, 1000, endpoint=False, dtype="float32"),
        xp.linspace(-hi, hi, 9, dtype="int64"),
    )


@pytest.mark.parametrize("n,m,k", [(3, None, 0), (3, 5, 1), (4, 2, -1), (2, 2, 3)])
@numpy_wgpy_array_equal()
def test_eye(n, m, k, xp):
    return xp.eye(n, m, k), xp.eye(n, m, k, dtype="int32"), xp.identity(n, dtype="bool")


@numpy_wgpy_array_equal()
def test_like_functions(xp):
    a = shaped_arange((2, 3), xp, "int16")
    return (
        xp.zeros_like(a),
        xp.ones_like(a),
        xp.full_like(a, 7),
        xp.ones_like(a, "float32"),
        xp.empty_like(a).shape,
    )


@numpy_wgpy_raises()
def test_negative_shape(xp):
    return xp.zeros((2, -1))


def test_unsupported_dtypes_are_refused():
    with pytest.raises(TypeError):
        wp.asarray(np.ones(3, "datetime64[s]"))
    with pytest.raises(TypeError):
        wp.zeros(3, dtype=object)


def test_get_array_module_and_asnumpy():
    a = wp.arange(3)
    assert wp.get_array_module(a) is wp
    assert wp.get_array_module(np.arange(3)) is np
    assert wp.get_array_module(1, a) is wp
    np.testing.assert_array_equal(wp.asnumpy(a), np.arange(3))
    np.testing.assert_array_equal(wp.asnumpy([1, 2]), np.array([1, 2]))
    out = np.empty(3, np.int64)
    assert wp.asnumpy(a, out=out) is out


# ---------------------------------------------------------------------------- attributes


@pytest.mark.parametrize("dtype", ("bool", "int8", "int16", "float32", "float64", "int64"))
def test_attributes_match_numpy(dtype):
    h = np.zeros((2, 3, 4), dtype)[:, ::2, 1:]
    d = wp.zeros((2, 3, 4), dtype)[:, ::2, 1:]
    assert (d.shape, d.ndim, d.size, d.itemsize, d.nbytes, d.dtype, d.strides) == (
        h.shape,
        h.ndim,
        h.size,
        h.itemsize,
        h.nbytes,
        h.dtype,
        h.strides,
    )
    assert d.T.shape == h.T.shape and d.T.strides == h.T.strides
    assert d.flags["C_CONTIGUOUS"] == h.flags.c_contiguous
    assert len(d) == len(h)


def test_conversions_of_size_one():
    a = wp.asarray(np.array([[2.5]], np.float32))
    assert float(a) == 2.5 and int(a) == 2 and bool(a) and complex(a) == 2.5
    assert a.item() == 2.5 and a.tolist() == [[2.5]]
    assert int(wp.asarray(np.int32(7))) == 7
    assert [1, 2, 3][wp.asarray(np.int64(1))] == 2
    with pytest.raises(TypeError):
        float(wp.arange(3))
    with pytest.raises(ValueError):
        bool(wp.arange(3))
    with pytest.raises(TypeError):
        len(wp.asarray(np.float32(1)))


def test_array_protocol_repr_iter():
    h = np.arange(6, dtype=np.float32).reshape(2, 3)
    d = wp.asarray(h)
    np.testing.assert_array_equal(np.asarray(d), h)
    np.testing.assert_array_equal(np.asarray(d, dtype=np.int32), h.astype(np.int32))
    assert repr(d) == repr(h) and str(d) == str(h)
    rows = [r.get() for r in d]
    np.testing.assert_array_equal(np.stack(rows), h)


def test_set_and_get_out():
    d = wp.zeros((2, 3), "float32")
    d.set(np.ones((2, 3)))
    np.testing.assert_array_equal(d.get(), np.ones((2, 3)))
    with pytest.raises(ValueError):
        d.set(np.ones(4))


# ---------------------------------------------------------------------------- views

BASIC_KEYS = [
    (1,),
    (-1,),
    (slice(1, None),),
    (slice(None, None, -1),),
    (slice(None, None, -2), 1),
    (Ellipsis, 2),
    (None, 1),
    (1, None, slice(0, 3)),
    (slice(3, 0, -1), Ellipsis, None),
    (slice(None), slice(None), slice(None, None, 3)),
    (0, 0, 0),
    (slice(10, 20),),
    (Ellipsis,),
    (-2, slice(None, 1), -1),
]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
@numpy_wgpy_array_equal()
def test_basic_indexing(key, xp):
    return shaped_arange((4, 5, 6), xp, "int32")[key]


@pytest.mark.parametrize("key", BASIC_KEYS[:6], ids=repr)
def test_basic_indexing_is_a_view(key):
    d = wp.arange(120, dtype=wp.int32).reshape(4, 5, 6)
    assert d[key]._buf is d._buf


@numpy_wgpy_array_equal()
def test_views_of_views(xp):
    a = shaped_arange((6, 8), xp, "float32")
    v = a[::-1, 1::2][1:, ::-1].T[::2]
    return v, v.copy(), v + 0


@pytest.mark.parametrize(
    "key", [(5,), (0, 9), (slice(None), slice(None), 6), (0, 0, 0, 0)], ids=repr
)
@numpy_wgpy_raises()
def test_bad_basic_indices(key, xp):
    return shaped_arange((4, 5, 6), xp)[key]


RESHAPES = [
    ((2, 3, 4), (6, 4)),
    ((2, 3, 4), (-1,)),
    ((2, 3, 4), (4, -1, 2)),
    ((24,), (2, 1, 12)),
    ((2, 3, 4), (1, 24, 1)),
    ((6, 4), (3, 2, 2, 2)),
]


@pytest.mark.parametrize("shape,new", RESHAPES)
@numpy_wgpy_array_equal()
def test_reshape(shape, new, xp):
    return shaped_arange(shape, xp).reshape(new)


@pytest.mark.parametrize("shape,new", RESHAPES)
@numpy_wgpy_array_equal()
def test_reshape_of_strided_views(shape, new, xp):
    a = shaped_arange((4,) + shape, xp)[::2, ...].transpose()
    return a.reshape(new[::-1] + (2,))


def test_reshape_is_a_view_when_numpy_makes_one():
    d = wp.arange(24).reshape(2, 3, 4)
    assert d.reshape(6, 4)._buf is d._buf
    assert d[:, :, ::2].reshape(6, 2)._buf is d._buf
    assert d.transpose(1, 0, 2).reshape(6, 4)._buf is not d._buf  # a copy, as in NumPy


@numpy_wgpy_raises()
def test_reshape_error(xp):
    return shaped_arange((2, 3), xp).reshape(4, 2)


@numpy_wgpy_array_equal()
def test_transpose_forms(xp):
    a = shaped_arange((2, 3, 4), xp)
    return a.T, a.transpose(1, 0, 2), a.transpose((2, 0, 1)), a.swapaxes(0, 2), a.ravel()


@numpy_wgpy_raises()
def test_transpose_bad_axes(xp):
    return shaped_arange((2, 3), xp).transpose(0, 0)


@numpy_wgpy_array_equal()
def test_shape_assignment(xp):
    a = shaped_arange((2, 6), xp)
    a.shape = (3, 4)
    return a


# ---------------------------------------------------------------------------- copies


@pytest.mark.parametrize("src", ALL_DTYPES)
@pytest.mark.parametrize(
    "dst", ("bool", "int8", "uint8", "int32", "float16", "float32", "int64", "float64")
)
@numpy_wgpy_allclose()
def test_astype(src, dst, xp):
    return shaped_random((3, 4), xp, src, scale=50, seed=2)[:, ::-1].astype(dst)


@numpy_wgpy_array_equal()
def test_copy_is_independent(xp):
    a = shaped_arange((3, 4), xp, "int32")
    b = a.copy()
    a[0] = -1
    c = a[:, 1::2].copy()
    a.fill(5)
    return a, b, c


@pytest.mark.parametrize("dtype", ("int8", "uint16", "float16", "float32", "bool"))
@numpy_wgpy_array_equal()
def test_fill_on_views(dtype, xp):
    a = xp.zeros((4, 5), dtype)
    a[1:3, ::2].fill(1)
    a[-1, ::-1].fill(True)
    return a


def test_views_keep_the_buffer_alive_and_it_is_freed_once():
    device = wp.device.get_device()
    freed = []
    original = device.free

    def spy(buf):
        freed.append(buf)
        original(buf)

    device.free = spy
    try:
        a = wp.arange(10, dtype=wp.float32)
        buf = a._buf.id
        v = a[2:5].T
        del a
        gc.collect()
        assert buf not in freed
        np.testing.assert_array_equal(v.get(), [2, 3, 4])
        del v
        gc.collect()
        assert freed.count(buf) == 1
    finally:
        del device.free


# ---------------------------------------------------------------------------- 64-bit


def test_base_is_the_array_that_owns_the_memory():
    y = wp.zeros((3, 3))
    assert y.base is None and y[1:].base is y and y.T.base is y
    assert wp.einsum("ii->i", y).base is y  # Chainer's einsum backward checks this
    assert y.copy().base is None


def test_exact_is_the_default_and_fast_warns_once(monkeypatch):
    assert wp.get_64bit_policy() == os.environ.get("WGPY_64BIT", "exact")
    monkeypatch.setitem(_dtypes._policy, "warned", False)
    previous = wp.get_64bit_policy()
    wp.set_64bit_policy("fast")
    try:
        with pytest.warns(wp.PrecisionWarning, match="float64 arrays are held .* in float32"):
            wp.asarray(np.array([0.1, 0.2]))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            wp.asarray(np.array([1, 2]))  # once per process: int64 does not warn again
    finally:
        wp.set_64bit_policy(previous)
    x = wp.asarray(np.array([0.1, 0.2]))
    assert (x * 3).sum().get() == (np.array([0.1, 0.2]) * 3).sum()


@under_fast_64bit_policy
def test_int64_values_that_do_not_fit_raise():
    with pytest.raises(OverflowError):
        wp.asarray(np.array([2**40], np.int64))
    with pytest.raises(OverflowError):
        wp.asarray(np.array([-(2**31) - 1], np.int64))
    a = wp.asarray(np.array([2**31 - 1, -(2**31)], np.int64))
    np.testing.assert_array_equal(a.get(), [2**31 - 1, -(2**31)])
    assert a.dtype == np.int64 and a.itemsize == 8


@under_fast_64bit_policy
def test_int64_scalar_that_does_not_fit_raises():
    a = wp.arange(3)
    with pytest.raises(OverflowError):
        (a + 2**40).get()


@under_fast_64bit_policy
def test_float64_is_held_in_float32():
    a = wp.asarray(np.array([1 / 3], np.float64))
    assert a.dtype == np.float64
    assert a.get()[0] == np.float64(np.float32(1 / 3))
