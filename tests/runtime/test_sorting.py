"""Sorting and order statistics against NumPy on both backends: `sort`, `argsort` (NumPy's
stable kind), `ndarray.sort`, `percentile`, `quantile`, `median` (the `linear` method):
values, dtypes and shapes exactly, NaN last (and propagated by the statistics).

Rule: inputs have many ties and NaN where the dtype has it, and lengths that are not
powers of two (the network pads them).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.runtime.helpers import (
    numpy_wgpy_array_equal,
    numpy_wgpy_raises,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)


def _data(xp, dtype, shape=(5, 13, 3), nan=True):
    rng = np.random.default_rng(11)
    x = rng.integers(-4, 5, shape).astype(dtype)  # many ties
    if nan and np.dtype(dtype).kind == "f":
        x.flat[[3, 17, 40]] = np.nan
        x.flat[5] = -0.0
    return xp.asarray(x)


@pytest.mark.parametrize("axis", [-1, 0, 1, None])
@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int32", "float16", "float32"])
@numpy_wgpy_array_equal()
def test_sort_and_argsort(dtype, axis, xp):
    a = _data(xp, dtype)
    return xp.sort(a, axis=axis, kind="stable"), xp.argsort(a, axis=axis, kind="stable")


@numpy_wgpy_array_equal()
def test_sort_of_views_lengths_and_in_place(xp):
    a = _data(xp, "float32", (4, 33))[:, ::-2]  # a strided view, 17 long
    b = _data(xp, "int32", (1, 1))
    c = _data(xp, "float32", (6, 40))
    c.sort(axis=0)
    d = _data(xp, "float32", (3, 0))
    return xp.sort(a), xp.argsort(a, axis=0, kind="stable"), xp.sort(b), c, xp.sort(d)


@pytest.mark.parametrize("q", [50, 12.5, 100, 0, [0, 33, 50, 99.5, 100], np.float32(75)])
@pytest.mark.parametrize("axis", [None, 0, 2, (0, 2)])
@numpy_wgpy_array_equal()
def test_percentile(q, axis, xp):
    rng = np.random.default_rng(12)
    a = xp.asarray(rng.random((4, 7, 5), dtype=np.float32))
    return xp.percentile(a, q, axis=axis), xp.quantile(a, np.asarray(q) / 100, axis=axis)


@numpy_wgpy_array_equal()
def test_percentile_of_integers_nan_and_keepdims(xp):
    i = _data(xp, "int32", (6, 9))
    f = _data(xp, "float32", (6, 9))  # some rows hold NaN: their statistics are NaN
    return (
        xp.percentile(i, [10, 90], axis=1),
        xp.percentile(f, 40, axis=1),
        xp.percentile(f, [40], axis=0, keepdims=True),
        xp.quantile(i, 0.3, keepdims=True),
    )


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@numpy_wgpy_array_equal()
def test_median(axis, xp):
    rng = np.random.default_rng(13)
    odd = xp.asarray(rng.random((5, 7), dtype=np.float32))
    even = xp.asarray(rng.random((6, 8), dtype=np.float32))
    ints = _data(xp, "int16", (4, 6))
    nan = _data(xp, "float32", (5, 13))
    return (
        xp.median(odd, axis=axis),
        xp.median(even, axis=axis),
        xp.median(ints, axis=axis),
        xp.median(nan, axis=axis, keepdims=True),
    )


@pytest.mark.parametrize("q", [101, -1, [50, 120]])
@numpy_wgpy_raises()
def test_percentile_out_of_range(q, xp):
    return xp.percentile(xp.asarray(np.arange(5.0, dtype=np.float32)), q)
