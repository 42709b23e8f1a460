"""Reductions against NumPy on both backends: `sum prod mean var std max min argmax argmin
any all count_nonzero cumsum` over axes, keepdims, dtypes (NumPy's result dtypes), views,
NaN, and NumPy's errors for empty reductions and bad axes.

Rule: float sums are compared with a tolerance (the GPU's order of summation differs);
integer results exactly.
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

AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]
DTYPES = (
    "bool",
    "int8",
    "uint8",
    "int16",
    "int32",
    "uint32",
    "int64",
    "float16",
    "float32",
    "float64",
)


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "any", "all"])
@numpy_wgpy_allclose(rtol=1e-4, atol=1e-4)
def test_reduction_axes(name, axis, xp):
    a = shaped_random((3, 4, 5), xp, "float32", scale=1, seed=1)
    return getattr(xp, name)(a, axis=axis), getattr(a, name)(axis=axis, keepdims=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sum", "max", "min", "any", "all", "count_nonzero"])
@numpy_wgpy_allclose(rtol=2e-3, atol=2e-3)
def test_reduction_dtypes(name, dtype, xp):
    a = shaped_random((4, 6), xp, dtype, scale=3, seed=2)
    return getattr(xp, name)(a), getattr(xp, name)(a, axis=1)


@pytest.mark.parametrize("dtype", ("int8", "int32", "uint8", "float16", "float32", "float64"))
@numpy_wgpy_allclose(rtol=1e-3)
def test_prod(dtype, xp):
    a = shaped_random((3, 4), xp, dtype, scale=3, seed=3, positive=True)
    return xp.prod(a, axis=0), a.prod(axis=1)


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("dtype", ("int8", "int32", "float16", "float32", "float64"))
@numpy_wgpy_allclose(rtol=2e-3, atol=1e-3)
def test_mean(dtype, axis, xp):
    return xp.mean(shaped_random((3, 4, 5), xp, dtype, scale=5, seed=4), axis=axis)


@pytest.mark.parametrize("ddof", (0, 1))
@pytest.mark.parametrize("axis", [None, 0, (1, 2)])
@pytest.mark.parametrize("dtype", ("int16", "float32", "float64"))
@numpy_wgpy_allclose(rtol=1e-4, atol=1e-4)
def test_var_std(dtype, axis, ddof, xp):
    a = shaped_random((3, 4, 5), xp, dtype, scale=5, seed=5)
    return xp.var(a, axis=axis, ddof=ddof), a.std(axis=axis, ddof=ddof, keepdims=True)


@pytest.mark.parametrize("dtype", ("int32", "int64", "float64"))
def test_mean_var_std_in_double(dtype):
    """float64 results come from double sums (float32 ones would be 1e-7 off here)."""
    host = np.random.default_rng(6).uniform(3000, 7000, (30, 20, 40)).astype(dtype)
    for xp_result, np_result in zip(_moments(wp.asarray(host), wp), _moments(host, np)):
        assert xp_result.dtype == np_result.dtype == np.float64
        np.testing.assert_allclose(xp_result.get(), np_result, rtol=1e-13, atol=0)


def _moments(a, xp):
    return a.mean(axis=0), a.mean(), xp.var(a, axis=1), a.std(axis=(0, 2), ddof=1)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", ("bool", "int8", "uint8", "int32", "float16", "float32"))
@numpy_wgpy_array_equal()
def test_argmax_argmin(dtype, axis, xp):
    a = shaped_random((4, 7), xp, dtype, scale=3, seed=6)  # small range: many ties
    return xp.argmax(a, axis=axis), a.argmin(axis=axis)


@numpy_wgpy_array_equal()
def test_argmax_of_views_and_nan(xp):
    a = shaped_random((5, 6), xp, "float32", seed=7)[::-1, 1::2]
    b = xp.asarray(np.array([[1, np.nan, 3, np.nan], [np.nan, 0, 1, 2]], np.float32))
    return a.argmax(), a.argmax(axis=0), b.argmax(axis=1), b.argmin(axis=1), xp.max(b, axis=1)


@numpy_wgpy_allclose(rtol=1e-5)
def test_reductions_of_strided_views(xp):
    a = shaped_random((6, 5, 4), xp, "float32", seed=8)
    v = a[::-2, :, 1::2].transpose(2, 0, 1)
    return v.sum(axis=(0, 2)), v.max(axis=1), v.mean(), xp.sum(v.T, axis=0)


@numpy_wgpy_allclose()
def test_dtype_and_out_arguments(xp):
    a = shaped_arange((3, 4), xp, "int8")
    out = xp.zeros(4, "float32")
    xp.sum(a, axis=0, out=out)
    return (
        xp.sum(a, dtype="int32"),
        a.sum(dtype="float32", axis=1),
        out,
        xp.mean(a, dtype="float32"),
    )


@numpy_wgpy_allclose()
def test_empty_reductions_with_identity(xp):
    a = xp.zeros((0, 3), "float32")
    return xp.sum(a, axis=0), xp.prod(a, axis=0), xp.any(a, axis=0), xp.all(a, axis=0), a.sum()


@pytest.mark.parametrize("name", ["max", "min", "argmax"])
@numpy_wgpy_raises()
def test_empty_reductions_without_identity(name, xp):
    return getattr(xp, name)(xp.zeros((0, 3), "float32"))


@pytest.mark.parametrize("axis", [3, -4, (0, 0)])
@numpy_wgpy_raises()
def test_bad_axes(axis, xp):
    return xp.sum(shaped_arange((2, 3, 4), xp), axis=axis)


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("dtype", ("int8", "int32", "float32"))
@numpy_wgpy_allclose(rtol=1e-5)
def test_cumsum(dtype, axis, xp):
    return xp.cumsum(shaped_random((3, 5), xp, dtype, seed=9), axis=axis)


@numpy_wgpy_allclose(rtol=1e-4, atol=1e-4)
def test_large_sum(xp):
    a = shaped_random((300, 257), xp, "float32", scale=1, seed=10)
    return a.sum(), a.sum(axis=0), a.sum(axis=1), a.max()


@pytest.mark.parametrize("axis", [None, 0, 1])
@numpy_wgpy_array_equal()
def test_argmax_argmin_edges(axis, xp):
    """Signed zeros tie (the first wins), infinities, the first NaN wins either way, the
    ends of the integer ranges; long enough to split and to read by columns."""
    f = np.array([0.0, -0.0, 3.0, np.inf, -np.inf, np.nan, -np.nan, 3.0], np.float32)
    rng = np.random.default_rng(9)
    big = rng.choice(f[:5], size=(300, 40)).astype(np.float32)
    big[170, 3] = big[20, 5] = np.nan
    i32 = rng.choice(np.array([-(2**31), 2**31 - 1, 0, -1], np.int32), size=(300, 40))
    u32 = rng.choice(np.array([0, 2**32 - 1, 2**31, 1], np.uint32), size=(300, 40))
    out = []
    for a in (xp.asarray(big), xp.asarray(i32), xp.asarray(u32), xp.asarray(f[None, :])):
        out += [xp.argmax(a, axis=axis), xp.argmin(a, axis=axis)]
    return out


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_max_min_edges(axis, dtype):
    """The first NaN wins whatever its sign, infinities are extremes, and equal zeros give
    IEEE 754's maximum (+0.0) and minimum (-0.0); long enough to split and to read by
    columns."""
    rng = np.random.default_rng(11)
    values = np.array([0.0, -0.0, 3.5, -2.0, np.inf, -np.inf], dtype)
    a = rng.choice(values, size=(300, 40)).astype(dtype)
    a[170, 3] = np.nan
    a[20, 5] = -np.array(np.nan, dtype)  # a NaN with its sign bit set
    zeros = np.array([[0.0, -0.0], [-0.0, 0.0]], dtype)
    for host in (a, zeros, np.where(np.isnan(a), 1, a).astype(dtype)):
        x = wp.asarray(host)
        for name in ("max", "min"):
            got = getattr(x, name)(axis=axis).get()
            want = getattr(np, name)(host, axis=axis)
            np.testing.assert_array_equal(got, want)
            zero = want == 0
            np.testing.assert_array_equal(np.signbit(got[zero]), name == "min")
