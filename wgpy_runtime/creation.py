"""Array creation: from host data (`asarray`, `array`), and on the device (`empty`,
`zeros`, `ones`, `full`, `arange`, `linspace`, `eye`, `*_like`); `asnumpy` and
`get_array_module`.

Rule: host data is uploaded once through the storage policy (`_dtypes`); everything
created on the device is written by a kernel, never by uploading a host-made array.
Dtypes follow NumPy (float64 and int64 by default, held in 32 bits).
"""

from __future__ import annotations

import functools
import math
import sys

import numpy as np

from . import _complex, _dtypes
from ._fusion_trace import Var
from .kernel import ElementwiseKernel
from .ndarray import ndarray

# ---------------------------------------------------------------------------- host data


def asarray(a, dtype=None, order=None, *, device=None) -> ndarray:
    """`a` as a device array: device arrays pass through (cast when `dtype` differs),
    anything NumPy accepts is uploaded."""
    if isinstance(a, ndarray):
        return a if dtype is None or np.dtype(dtype) == a.dtype else a.astype(dtype)
    host = _host_array(a, dtype)
    out = ndarray(host.shape, host.dtype, device=device)
    out._buf.write(0, host)
    return out


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, device=None):
    if isinstance(obj, ndarray):
        out = obj.astype(dtype or obj.dtype, copy=copy)
    else:
        out = asarray(obj, dtype, device=device)
    if out.ndim < ndmin:
        out = out.reshape((1,) * (ndmin - out.ndim) + out.shape)
    return out


def ascontiguousarray(a, dtype=None) -> ndarray:
    a = asarray(a, dtype)
    return a if a._c_contiguous else a.copy()


def _host_array(a, dtype) -> np.ndarray:
    if isinstance(a, (list, tuple)) and any(isinstance(x, ndarray) for x in a):
        a = [x.get() if isinstance(x, ndarray) else x for x in a]
    host = np.asarray(a, dtype=dtype)
    if host.dtype.kind in "US":
        raise TypeError(f"dtype {host.dtype} is not supported by wgpy_runtime")
    _dtypes.normalize(host.dtype)
    return host


def asnumpy(a, stream=None, order="C", out=None) -> np.ndarray:
    """A host (NumPy) copy of a device array; other objects go through `numpy.asarray`."""
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    host = np.asarray(a, order=order)
    if out is not None:
        out[...] = host
        return out
    return host


def get_array_module(*args):
    """`wgpy_runtime` when any argument is a device array, else `numpy`."""
    if any(isinstance(a, (ndarray, Var)) for a in args):
        return sys.modules[__package__]
    return np


# ---------------------------------------------------------------------------- on device


@functools.cache
def _fill_kernel() -> ElementwiseKernel:
    return ElementwiseKernel("T v", "T y", "y = v", "wp_fill")


def host_scalar(value, dtype: np.dtype):
    """`value` converted to `dtype` as NumPy assigns it (OverflowError for Python ints
    out of range, ValueError for NaN to int)."""
    if isinstance(value, ndarray):
        value = value.get()
    return (
        np.array(value).astype(dtype)[()]
        if isinstance(value, np.generic)
        else np.array(value, dtype=dtype)[()]
    )


def empty(shape, dtype=float, order="C", *, device=None) -> ndarray:
    return ndarray(shape, dtype, device=device)


def full(shape, fill_value, dtype=None, order="C", *, device=None) -> ndarray:
    if dtype is None:
        dtype = (
            fill_value.dtype if isinstance(fill_value, ndarray) else np.asarray(fill_value).dtype
        )
    out = ndarray(shape, dtype, device=device)
    if isinstance(fill_value, ndarray) and fill_value.size != 1:
        out[...] = fill_value  # broadcast and cast (indexing, which builds on this module)
        return out
    if out.dtype.kind == "c":
        _complex.fill(out, fill_value)
    elif out.size:
        _fill_kernel()(host_scalar(fill_value, out.dtype), out)
    return out


def zeros(shape, dtype=float, order="C", *, device=None) -> ndarray:
    return full(shape, 0, dtype or float, device=device)


def ones(shape, dtype=float, order="C", *, device=None) -> ndarray:
    return full(shape, 1, dtype or float, device=device)


def _like_shape(a, shape):
    return a.shape if shape is None else shape


def empty_like(a, dtype=None, order="K", subok=None, shape=None) -> ndarray:
    return empty(_like_shape(a, shape), dtype or a.dtype, device=_device(a))


def zeros_like(a, dtype=None, order="K", subok=None, shape=None) -> ndarray:
    return zeros(_like_shape(a, shape), dtype or a.dtype, device=_device(a))


def ones_like(a, dtype=None, order="K", subok=None, shape=None) -> ndarray:
    return ones(_like_shape(a, shape), dtype or a.dtype, device=_device(a))


def full_like(a, fill_value, dtype=None, order="K", subok=None, shape=None) -> ndarray:
    return full(_like_shape(a, shape), fill_value, dtype or a.dtype, device=_device(a))


def _device(a):
    return a.device if isinstance(a, ndarray) else None


@functools.cache
def _arange_kernel(compute: str) -> ElementwiseKernel:
    """NumPy's fill rule: values 0 and 1 are start and start + step as given, the rest
    start + i * delta with delta = value 1 - value 0, all in `compute`'s precision."""
    return ElementwiseKernel(
        f"{compute} start, {compute} second, {compute} delta",
        "T y",
        f"y = (T)(i == 0 ? start : i == 1 ? second : start + ({_dtypes.ctype(compute)})i * delta)",
        "wp_arange",
    )


def arange(start, stop=None, step=1, dtype=None, *, device=None) -> ndarray:
    """NumPy's arange: length ceil((stop - start) / step), values start + i * step,
    computed in 64 bits for 64-bit dtypes under the exact policy (else in 32 bits)."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ZeroDivisionError("division by zero")
    if dtype is None:
        dtype = np.result_type(*(np.asarray(x) for x in (start, stop, step)))
    dtype = _dtypes.normalize(dtype)
    n = max(0, math.ceil((stop - start) / step))
    out = ndarray((n,), dtype, device=device)
    if n == 0:
        return out
    wide = dtype.itemsize == 8 and _dtypes.exact64()
    exact_int = all(isinstance(x, (int, np.integer)) for x in (start, step))
    if exact_int and dtype.kind != "f":
        compute = np.dtype("int64" if wide else "int32")
        _dtypes.check_fits(np.array([start, start + (n - 1) * step]), compute, dtype)
    else:
        compute = np.dtype("float64" if wide else "float32")
    first = compute.type(start)
    second = compute.type(start + step) if n > 1 else first  # within range when n > 1
    with np.errstate(over="ignore"):
        delta = second - first
    _arange_kernel(compute.name)(first.item(), second.item(), delta.item(), out)
    return out


@functools.cache
def _linspace_kernel(compute: str, floor: bool) -> ElementwiseKernel:
    value = "floor(v)" if floor else "v"
    c = _dtypes.ctype(compute)
    return ElementwiseKernel(
        f"{compute} start, {compute} step, {compute} stop, int32 last",
        "T y",
        f"{c} v = (i == last) ? stop : ({c})i * step + start;\ny = (T)({value});",
        "wp_linspace",
    )


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    step = (stop - start) / div if div > 0 else float("nan")
    dtype = _dtypes.normalize(dtype if dtype is not None else np.result_type(start, stop, 1.0))
    out = ndarray((num,), dtype, device=device)
    if num:
        last = num - 1 if endpoint and num > 1 else -1
        first_only = 0.0 if div <= 0 else step
        # NumPy computes in float64 whatever the dtype: so does the exact policy
        compute = "float64" if _dtypes.exact64() else "float32"
        _linspace_kernel(compute, dtype.kind in "iu")(
            float(start), float(first_only), float(stop), last, out
        )
    return (out, step) if retstep else out


@functools.cache
def _eye_kernel() -> ElementwiseKernel:
    return ElementwiseKernel(
        "int32 m, int32 k", "T y", "y = ((int)(i % m) - (int)(i / m) == k) ? (T)1 : (T)0", "wp_eye"
    )


def eye(N, M=None, k=0, dtype=float, order="C", *, device=None) -> ndarray:
    M = N if M is None else M
    if np.dtype(dtype).kind == "c":  # ones on the diagonal: a real eye as complex
        real = eye(N, M, k, _dtypes.component(np.dtype(dtype)), device=device)
        return real.astype(dtype)
    out = ndarray((N, M), dtype, device=device)
    if out.size:
        _eye_kernel()(int(M), int(k), out)
    return out


def identity(n, dtype=float, *, device=None) -> ndarray:
    return eye(n, dtype=dtype, device=device)
