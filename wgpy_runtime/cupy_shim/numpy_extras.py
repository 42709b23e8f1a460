"""NumPy/CuPy functions that CuPy code (Chainer) calls and wgpy_runtime does not define:
`copyto`, `scatter_add`, `rsqrt`, `pad`, `tri`/`tril`/`triu`, `fix`, `fliplr`/`flipud`,
`dstack`, `meshgrid`, `bincount`, the shape helpers and NumPy's type hierarchy.

Rule: built from wgpy_runtime's operations or as `ElementwiseKernel`s (so they run on the
device through kernelc); only index arithmetic that wgpy_runtime itself does on the host
(advanced-index positions) is host-assisted. docs/chainer.md lists them.
"""

from __future__ import annotations

import functools

import numpy as np

import wgpy_runtime as _wp

from ..kernel import ElementwiseKernel
from ..ndarray import ndarray

# NumPy names CuPy re-exports unchanged (types, dtype helpers).
NUMPY_NAMES = (
    "generic",
    "number",
    "integer",
    "signedinteger",
    "unsignedinteger",
    "inexact",
    "floating",
    "complexfloating",
    "bool_",
    "byte",
    "ubyte",
    "short",
    "ushort",
    "intc",
    "uintc",
    "int_",
    "uint",
    "longlong",
    "ulonglong",
    "half",
    "single",
    "double",
    "float_",
    "complex64",
    "complex128",
    "complex_",
    "issubdtype",
    "isscalar",
    "obj2sctype",
    "typename",
    "mintypecode",
    "ComplexWarning",
)


def numpy_names() -> dict:
    found = {}
    for name in NUMPY_NAMES:
        value = getattr(np, name, None)
        if value is None and name == "ComplexWarning":
            value = getattr(getattr(np, "exceptions", None), name, None)
        if value is not None:
            found[name] = value
    return found


def ndim(a) -> int:
    return a.ndim if isinstance(a, ndarray) else np.ndim(a)


def shape(a) -> tuple:
    return a.shape if isinstance(a, ndarray) else np.shape(a)


def size(a, axis=None) -> int:
    if isinstance(a, ndarray):
        return a.size if axis is None else a.shape[axis]
    return np.size(a, axis)


def may_share_memory(a, b, max_work=None) -> bool:
    return isinstance(a, ndarray) and isinstance(b, ndarray) and a._buf is b._buf


shares_memory = may_share_memory


def copyto(dst, src, casting="same_kind", where=None) -> None:
    """dst[...] = src (broadcast) under `casting`; with `where`, only where it is true."""
    if not isinstance(dst, ndarray):
        raise TypeError("copyto() argument 1 must be cupy.ndarray")
    if isinstance(src, (ndarray, np.ndarray)) and not np.can_cast(src.dtype, dst.dtype, casting):
        raise TypeError(f"Cannot cast {src.dtype} to {dst.dtype} with casting rule {casting!r}")
    if where is None:
        dst[...] = src
        return
    src = src if isinstance(src, ndarray) else _wp.asarray(np.asarray(src, dtype=dst.dtype))
    dst[...] = _wp.where(where, src.astype(dst.dtype, copy=False), dst)


def scatter_add(a, slices, value) -> None:
    """`cupyx.scatter_add`: a[slices] += value, repeated indices accumulating."""
    a.scatter_add(slices, value)


@functools.cache
def _rsqrt_kernel() -> ElementwiseKernel:
    return ElementwiseKernel("T x", "T y", "y = rsqrt(x)", "cupyx_rsqrt")


def rsqrt(x, out=None, dtype=None, **kwargs):
    """`cupyx.rsqrt`, a float ufunc: 1 / sqrt(x) (integers computed in float64)."""
    x = _wp.asarray(x)
    dtype = np.dtype(dtype) if dtype is not None else x.dtype
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    y = _rsqrt_kernel()(x.astype(dtype, copy=False))
    if out is None:
        return y
    out[...] = y
    return out


def pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    """`numpy.pad` in 'constant' mode (what Chainer's convolutions and poolings use), with
    NumPy's per-axis (before, after) `constant_values`; like NumPy, a later axis's value
    fills the corners it shares with an earlier one."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only 'constant')")
    a = _wp.asarray(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (a.ndim, 2))
    if (widths < 0).any():
        raise ValueError("pad: index can't contain negative values")
    values = _host_values(constant_values)
    try:
        values = np.broadcast_to(values, (a.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: constant_values of shape {np.shape(values)} do not broadcast to ({a.ndim}, 2)"
        ) from None
    if a.ndim == 0:
        return a.copy()  # nothing to pad, as in NumPy
    out_shape = tuple(int(e + lo + hi) for e, (lo, hi) in zip(a.shape, widths))
    if (values == values.flat[0]).all():
        out = _wp.full(out_shape, values.flat[0], dtype=a.dtype)
    else:
        out = _wp.empty(out_shape, dtype=a.dtype)
        for axis, ((lo, hi), (before, after)) in enumerate(zip(widths, values)):
            edge = [slice(None)] * a.ndim
            edge[axis] = slice(0, int(lo))
            out[tuple(edge)] = before
            edge[axis] = slice(out_shape[axis] - int(hi), out_shape[axis])
            out[tuple(edge)] = after
    out[tuple(slice(int(lo), int(lo) + e) for e, (lo, _) in zip(a.shape, widths))] = a
    return out


def _host_values(values) -> np.ndarray:
    values = values.get() if isinstance(values, ndarray) else values
    return np.asarray(values)


def asfortranarray(a, dtype=None) -> ndarray:
    """`a` laid out column-major (F-contiguous), as CuPy's `asfortranarray`."""
    a = _wp.asarray(a, dtype)
    if a.ndim <= 1 or a.flags.f_contiguous:
        return _wp.ascontiguousarray(a) if a.ndim <= 1 else a
    return _wp.ascontiguousarray(a.transpose()).transpose()


@functools.cache
def _tri_kernel(lower: bool) -> ElementwiseKernel:
    column_minus_row = "(int)(i % m) - (int)((i / m) % n)"
    test = f"{column_minus_row} {'<=' if lower else '>='} k"
    name = "cupy_tril" if lower else "cupy_triu"
    return ElementwiseKernel(
        "T x, int32 n, int32 m, int32 k", "T y", f"y = ({test}) ? x : (T)0", name
    )


def tril(m, k=0):
    m = _wp.asarray(m)
    return _tri_kernel(True)(m, m.shape[-2], m.shape[-1], int(k))


def triu(m, k=0):
    m = _wp.asarray(m)
    return _tri_kernel(False)(m, m.shape[-2], m.shape[-1], int(k))


def tri(N, M=None, k=0, dtype=float):
    return tril(_wp.ones((N, N if M is None else M), dtype=dtype), k)


def fix(x, out=None):
    """Round toward zero (floats; integers unchanged)."""
    x = _wp.asarray(x)
    return _wp.trunc(x, out=out) if x.dtype.kind == "f" else x.copy()


def fliplr(m):
    return _wp.flip(m, 1)


def flipud(m):
    return _wp.flip(m, 0)


def dstack(tup):
    return _wp.concatenate([_wp.atleast_3d(a) for a in tup], axis=2)


def meshgrid(*xi, indexing="xy", copy=True, sparse=False):
    n = len(xi)
    shape = [1] * n
    outs = []
    for k, x in enumerate(xi):
        s = list(shape)
        s[k] = -1
        outs.append(_wp.asarray(x).reshape(s))
    if indexing == "xy" and n > 1:
        outs = [o.swapaxes(0, 1) for o in outs]
    if not sparse:
        outs = _wp.broadcast_arrays(*outs)
        outs = [o.copy() for o in outs] if copy else outs
    return outs


def bincount(x, weights=None, minlength=0):
    """Counts (or summed weights) per value of the non-negative ints `x` (one scatter_add)."""
    x = _wp.asarray(x)
    if x.ndim != 1:
        raise ValueError("object too deep for desired array")
    n = max(int(x.max()) + 1 if x.size else 0, int(minlength))
    dtype = np.float64 if weights is not None else np.int64
    out = _wp.zeros(n, dtype=dtype)
    value = _wp.ones(x.shape, dtype) if weights is None else _wp.asarray(weights).astype(dtype)
    scatter_add(out, x, value)
    return out


FUNCTIONS = {
    f.__name__: f
    for f in (
        ndim,
        shape,
        size,
        may_share_memory,
        copyto,
        pad,
        tril,
        triu,
        tri,
        fix,
        fliplr,
        flipud,
        dstack,
        meshgrid,
        bincount,
        asfortranarray,
    )
}
FUNCTIONS["shares_memory"] = shares_memory
CUPYX_FUNCTIONS = {"scatter_add": scatter_add, "rsqrt": rsqrt}
