"""Sorting and order statistics: `sort`, `argsort`, `ndarray.sort`, `percentile`,
`quantile`, `median`.

Rule: a sort is a bitonic network run on the device along the last axis, one launch per
compare-exchange step, each invocation writing only its own element (no scatter, so it
runs on both targets and needs no loop). It sorts (value, index) pairs, so it is stable
and its `argsort` is NumPy's `kind="stable"`; NaN sorts last, as in NumPy. Order
statistics follow NumPy's `linear` method step for step: the indices and weights are
NumPy's own arithmetic on the host, the gathers and the interpolation are device
operations in NumPy's dtypes.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _shapes
from .creation import asarray, empty
from .elementwise import where
from .kernel import ElementwiseKernel
from .manipulation import moveaxis
from .ndarray import into_out, ndarray


@functools.cache
def _exchange(dtype: np.dtype) -> ElementwiseKernel:
    """One step of the network over rows of `width` elements, `n` of them real (padding
    sorts after everything): element `e` of a row meets `e ^ j`; in blocks of `k` sorted
    upward (`e & k == 0`) or downward the lower position keeps the pair's first."""
    nan = "isnan(a)" if dtype.kind == "f" else "false"
    nan_b = "isnan(b)" if dtype.kind == "f" else "false"
    before = f"""
    __device__ bool wp_before(T a, int ia, T b, int ib, int n) {{
        if (ia >= n) return false;
        if (ib >= n) return true;
        bool an = {nan}, bn = {nan_b};
        if (an || bn) return an && bn ? ia < ib : bn;
        if (a < b) return true;
        if (b < a) return false;
        return ia < ib;
    }}"""
    return ElementwiseKernel(
        "raw T v, raw int32 ix, int32 k, int32 j, int32 n, int32 width",
        "T w, int32 jx",
        """
        int e = i % width;
        int row = i - e;
        int p = e ^ j;
        T a = v[i], b = v[row + p];
        int ia = ix[i], ib = ix[row + p];
        bool first = (e < p) == ((e & k) == 0);
        bool b_first = wp_before(b, ib, a, ia, n);
        bool take_b = first ? b_first : !b_first;
        w = take_b ? b : a;
        jx = take_b ? ib : ia;
        """,
        f"wp_bitonic_{dtype.name}",
        preamble=before,
    )


def _sorted_rows(a: ndarray, axis: int) -> tuple[ndarray, ndarray]:
    """(values, int32 indices) of `a` sorted along `axis`, that axis moved last."""
    if a.dtype.kind == "c":
        raise TypeError("sorting complex arrays is not supported")
    moved = moveaxis(a, axis, -1)
    *rows, n = moved.shape
    width = 1 << max(0, (n - 1).bit_length())
    count = math.prod(rows)
    v = empty((count, width), a.dtype, device=a.device)
    if count * n:
        v[:, :n] = moved.reshape(count, n)
    positions = np.broadcast_to(np.arange(width, dtype=np.int32), (count, width))
    ix = asarray(np.ascontiguousarray(positions), device=a.device)
    step = _exchange(np.dtype(a.dtype))
    k = 2
    while k <= width and count * n:
        j = k // 2
        while j >= 1:
            w, jx = step(v, ix, k, j, n, width, size=count * width)
            v, ix = w.reshape(count, width), jx.reshape(count, width)
            j //= 2
        k *= 2
    shape = (*rows, n)
    return v[:, :n].reshape(shape), ix[:, :n].reshape(shape)


def _sort_args(a, axis, order) -> tuple[ndarray, int]:
    """`a` as a device array and `axis` (None: `a` flattened, axis 0), as NumPy takes them."""
    a = asarray(a)
    if order is not None:
        raise NotImplementedError("order is not supported")
    return (a.reshape(-1), 0) if axis is None else (a, axis)


def sort(a, axis=-1, kind=None, order=None):
    """A sorted copy of `a` (`axis=None`: of its flattening)."""
    a, axis = _sort_args(a, axis, order)
    axis = _shapes.normalize_axis(axis, max(1, a.ndim))
    if a.ndim == 0:
        raise np.exceptions.AxisError("axis -1 is out of bounds for array of dimension 0")
    values, _ = _sorted_rows(a, axis)
    return moveaxis(values, -1, axis).copy()


def argsort(a, axis=-1, kind=None, order=None):
    """The indices that sort `a` along `axis`, stably (int64)."""
    a, axis = _sort_args(a, axis, order)
    if a.ndim == 0:
        return asarray(np.zeros((), np.int64), device=a.device)
    axis = _shapes.normalize_axis(axis, a.ndim)
    _, index = _sorted_rows(a, axis)
    return moveaxis(index, -1, axis).astype(np.int64)


def sort_in_place(a: ndarray, axis=-1, kind=None, order=None) -> None:
    """`ndarray.sort`: `a` sorted along `axis`, in place."""
    if a.ndim == 0:
        raise np.exceptions.AxisError("axis -1 is out of bounds for array of dimension 0")
    a[...] = sort(a, axis, kind, order)


# ---------------------------------------------------------------------------- order statistics


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """NumPy's `quantile` with the `linear` method."""
    qs = _quantiles(method, q, 1, "Quantiles must be in the range [0, 1]")
    return _quantile(asarray(a), qs, type(q) in (int, float), axis, out, keepdims)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """NumPy's `percentile` with the `linear` method."""
    qs = _quantiles(method, q, 100, "Percentiles must be in the range [0, 100]")
    return _quantile(asarray(a), qs, type(q) in (int, float), axis, out, keepdims)


def _quantiles(method: str, q, scale: int, error: str) -> np.ndarray:
    """`q / scale` as NumPy computes it (float64 unless q is), checked to be in [0, 1]."""
    if method != "linear":
        raise NotImplementedError(f"method {method!r} is not supported (only 'linear')")
    qs = np.asanyarray(q) if scale == 1 else np.true_divide(np.asanyarray(q), scale)
    if qs.dtype.kind not in "biuf" or not np.all((0 <= qs) & (qs <= 1)):
        raise ValueError(error)
    return qs


def _sorted_along(a: ndarray, axis) -> ndarray:
    """`a` sorted along `axis` (None: all axes; several: merged into one), that axis last."""
    if axis is None:
        a, axis = a.reshape(-1), 0
    axes = _shapes.normalize_axes(axis, a.ndim)
    if len(axes) > 1:  # several axes: move them last and merge them
        rest = [d for d in range(a.ndim) if d not in axes]
        a = a.transpose(rest + list(axes)).reshape(*[a.shape[d] for d in rest], -1)
        axes = (a.ndim - 1,)
    return _sorted_rows(a, axes[0])[0]  # NaN at the end of a row


def _quantile(a: ndarray, qs: np.ndarray, weak: bool, axis, out, keepdims: bool):
    if a.dtype.kind == "c":
        raise TypeError("a must be an array of real numbers")
    keep_shape = _kept_shape(a.shape, axis)
    values = _sorted_along(a, axis)
    n = values.shape[-1]
    if n == 0:
        raise IndexError("cannot do a non-empty take from an empty axes.")
    # NumPy's indices and weights (_compute_virtual_index, _get_indexes, _get_gamma)
    virtual = (n - 1) * qs
    previous = np.floor(virtual)
    nxt = previous + 1
    above = virtual >= n - 1
    previous = np.where(above, -1, np.where(virtual < 0, 0, previous)).astype(np.intp)
    nxt = np.where(above, -1, np.where(virtual < 0, 0, nxt)).astype(np.intp)
    gamma = np.asanyarray(virtual - previous, dtype=virtual.dtype)
    lo = values[..., previous.ravel() % n]  # (..., q)
    hi = values[..., nxt.ravel() % n]
    result = _lerp(lo, hi, gamma.ravel(), weak)
    if a.dtype.kind == "f":  # a NaN anywhere: NaN (it sorted last)
        result = where(values[..., -1:] != values[..., -1:], values[..., -1:], result)
    result = moveaxis(result, -1, 0)
    result = result.reshape(qs.shape + (keep_shape if keepdims else result.shape[1:]))
    return into_out(result, out)


def _lerp(a: ndarray, b: ndarray, t: np.ndarray, weak: bool) -> ndarray:
    """NumPy's `_lerp`: `a + (b - a) * t`, or `b - (b - a) * (1 - t)` where t >= 0.5,
    with t a weak Python float (a scalar q) or a float64 array (broadcast on the last
    axis)."""
    diff = b - a
    if weak:
        t = float(t[0])
        return b - diff * (1 - t) if t >= 0.5 else a + diff * t
    t_dev = asarray(t, device=a.device)
    return where(asarray(t >= 0.5, device=a.device), b - diff * asarray(1 - t), a + diff * t_dev)


def _kept_shape(shape: tuple, axis) -> tuple:
    axes = range(len(shape)) if axis is None else _shapes.normalize_axes(axis, len(shape))
    return tuple(1 if d in axes else e for d, e in enumerate(shape))


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """NumPy's `median`: the middle element, or the mean of the middle two (NaN if any)."""
    a = asarray(a)
    keep_shape = _kept_shape(a.shape, axis)
    values = _sorted_along(a, axis)
    n = values.shape[-1]
    if n == 0:
        result = values.mean(axis=-1)  # NaN with NumPy's warning
    else:
        middle = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
        result = values[..., middle].mean(axis=-1)
        if a.dtype.kind == "f":
            last = values[..., -1]
            result = where(last != last, last.astype(result.dtype), result)
    if keepdims:
        result = result.reshape(keep_shape)
    return into_out(result, out)
