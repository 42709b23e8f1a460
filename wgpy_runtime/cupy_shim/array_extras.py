"""More NumPy/CuPy names Chainer 7.8.1 calls through `xp` (docs/chainer-cupy-names.md):
`modf`, `fill_diagonal`, `cumprod`, `lib.stride_tricks.as_strided`.

Rule: as in numpy_extras, device work is kernels; `as_strided` is a view (no copy) over
the same buffer, with NumPy's byte strides converted to element strides.
"""

from __future__ import annotations

import functools
import types

import numpy as np

import wgpy_runtime as _wp

from ..kernel import ElementwiseKernel
from ..ndarray import ndarray


@functools.cache
def _modf_kernel() -> ElementwiseKernel:
    return ElementwiseKernel(
        "T x", "T frac, T whole", "whole = trunc(x); frac = x - whole", "cupy_modf"
    )


def modf(x, out1=None, out2=None):
    """(fractional part, integral part), both with the sign of `x`."""
    x = _wp.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if out1 is None and out2 is None:
        return _modf_kernel()(x)
    if out1 is None or out2 is None:
        raise TypeError("modf: give both outputs or neither")
    return _modf_kernel()(x, out1, out2)


def fill_diagonal(a, val, wrap=False) -> None:
    """NumPy's `fill_diagonal` in place: a[i, i, ..., i] = val (2-D: every `cols + 1`th
    element of the flat array, restarting after each block of rows when `wrap`)."""
    if not isinstance(a, ndarray):
        raise TypeError("fill_diagonal: argument must be a cupy.ndarray")
    if a.ndim < 2:
        raise ValueError("array must be at least 2-d")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    n = min(a.shape)
    if a.ndim == 2 and wrap:
        rows = np.arange(a.shape[0])
        keep = (rows % (a.shape[1] + 1)) < a.shape[1]
        rows = rows[keep]
        index = (rows, rows % (a.shape[1] + 1))
    else:
        index = (np.arange(n),) * a.ndim
    values = val.get() if isinstance(val, ndarray) else np.asarray(val)
    count = len(index[0])
    values = np.resize(values.reshape(-1), count) if values.size else values
    a[tuple(_wp.asarray(i) for i in index)] = _wp.asarray(values.astype(a.dtype))


@functools.cache
def _scan_mul_kernel() -> ElementwiseKernel:
    body = "int j = i % n;\ny = (j >= step) ? x[i] * x[i - step] : x[i];"
    return ElementwiseKernel("raw T x, int32 n, int32 step", "T y", body, "cupy_cumprod_step")


def cumprod(a, axis=None, dtype=None, out=None):
    """Products along `axis` (flattened when None) by a log-depth scan of kernels."""
    a = _wp.asarray(a)
    if dtype is None:
        dtype = a.dtype if a.dtype.kind in "fc" or a.dtype.itemsize >= 8 else np.int64
        dtype = np.dtype(np.int64) if a.dtype.kind == "b" else np.dtype(dtype)
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis = axis + a.ndim if axis < 0 else axis
    if not 0 <= axis < a.ndim:
        raise (
            np.exceptions.AxisError(axis, a.ndim)
            if hasattr(np, "exceptions")
            else ValueError(f"axis {axis} is out of bounds")
        )
    moved = _wp.moveaxis(a.astype(dtype), axis, -1)
    n = moved.shape[-1] if moved.ndim else 1
    y = _wp.ascontiguousarray(moved).copy()
    step = 1
    while step < n:
        y = _scan_mul_kernel()(y, n, step, size=y.size).reshape(y.shape)
        step *= 2
    result = _wp.moveaxis(y, -1, axis)
    if out is None:
        return _wp.ascontiguousarray(result)
    out[...] = result
    return out


def as_strided(x, shape=None, strides=None, subok=False, writeable=True):
    """A view of `x`'s buffer with `shape` and byte `strides` (NumPy's meaning); strides
    must be multiples of the item size."""
    x = _wp.asarray(x)
    shape = x.shape if shape is None else tuple(int(s) for s in shape)
    strides = x.strides if strides is None else tuple(int(s) for s in strides)
    if len(shape) != len(strides):
        raise ValueError("as_strided: shape and strides differ in length")
    if any(s % x.itemsize for s in strides):
        raise ValueError(
            f"as_strided: strides {strides} are not multiples of the item size {x.itemsize}"
        )
    elements = tuple(s // x.itemsize for s in strides)
    reach = x._offset + sum((e - 1) * s for e, s in zip(shape, elements) if e > 0)
    low = x._offset + sum((e - 1) * s for e, s in zip(shape, elements) if e > 0 and s < 0)
    if 0 in shape:
        reach = low = x._offset
    if low < 0 or reach >= x._buf.size:
        raise ValueError("as_strided: the view reaches outside the array's buffer")
    return ndarray._view(x._buf, shape, elements, x._offset)


def lib_module() -> dict[str, types.ModuleType]:
    tricks = types.ModuleType("cupy.lib.stride_tricks", "Strided views.")
    tricks.as_strided = as_strided
    lib = types.ModuleType("cupy.lib", "CuPy's lib.")
    lib.__path__ = []
    lib.stride_tricks = tricks
    return {"cupy.lib": lib, "cupy.lib.stride_tricks": tricks}


FUNCTIONS = {"modf": modf, "fill_diagonal": fill_diagonal, "cumprod": cumprod}
