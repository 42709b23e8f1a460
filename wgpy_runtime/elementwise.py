"""Elementwise routines that are not plain ufuncs: `where`, `clip` (with None bounds),
`around`/`round`, `conj`, `real`, `imag`, `angle`.

Rule: each is one generated `ElementwiseKernel` over concrete dtypes (scalars passed by
value, weak under NEP 50), exactly as the ufuncs are; no host computation.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _complex, _dtypes, _shapes, ufuncs
from ._fusion_trace import Var
from .creation import asarray
from .indexing import nonzero
from .kernel import ElementwiseKernel
from .ndarray import ndarray


@functools.cache
def _typed_kernel(name: str, arg_dtypes: tuple, out_dtype: np.dtype, body: str):
    """A kernel over `_x0..` of the given dtypes writing `y` of `out_dtype`; `body` may
    use `R` for the result's C type."""
    params = ", ".join(f"{d.name} _x{k}" for k, d in enumerate(arg_dtypes))
    preamble = f"typedef {_dtypes.ctype(out_dtype)} R;"
    return ElementwiseKernel(params, f"{out_dtype.name} y", body, name, preamble=preamble)


def _launch(name: str, args: list, out_dtype, body: str, out=None) -> ndarray:
    dtypes = ufuncs.arg_dtypes(args)
    values = [ufuncs.typed_scalar(a, t) if ufuncs.is_scalar(a) else a for a, t in zip(args, dtypes)]
    arrays = [a for a in args if isinstance(a, ndarray)]
    shape = _shapes.broadcast_shapes(*(a.shape for a in arrays))
    if out is None:
        out = ndarray(shape, out_dtype, device=arrays[0].device if arrays else None)
    kernel = _typed_kernel(name, tuple(dtypes), np.dtype(out.dtype), body)
    kernel(*values, out)
    return out


def where(condition, x=None, y=None):
    """`condition ? x : y` elementwise; with one argument, `nonzero(condition)`."""
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    traced = next((a for a in (condition, x, y) if type(a) is Var), None)
    if traced is not None:  # inside a fused function (`fusion`)
        return traced.trace.where(condition, x, y)
    dtypes = ufuncs.arg_dtypes([x, y])
    out_dtype = _dtypes.normalize(np.result_type(*dtypes))
    cond = condition if isinstance(condition, ndarray) else bool(condition)
    if out_dtype.kind == "c":
        values = [
            ufuncs.typed_scalar(v, t) if ufuncs.is_scalar(v) else v for v, t in zip((x, y), dtypes)
        ]
        return _complex.apply("where", [cond, *values], out_dtype)
    return _launch("wp_where", [cond, x, y], out_dtype, "y = (_x0 != 0) ? (R)_x1 : (R)_x2")


def clip(a, a_min=None, a_max=None, out=None, **kwargs):
    """NumPy's clip: min(max(a, a_min), a_max) with NaN propagation; either bound may be
    None (not both)."""
    if a_min is None and a_max is None:
        raise ValueError("One of max or min must be given")
    if a_min is None:
        return ufuncs.minimum(a, a_max, out=out)
    if a_max is None:
        return ufuncs.maximum(a, a_min, out=out)
    return ufuncs.clip(a, a_min, a_max, out=out)


def around(a, decimals=0, out=None):
    """Round half to even at `decimals` digits (NumPy: rint(a * 10**d) / 10**d)."""
    a = asarray(a)
    if a.dtype.kind in "biu":
        if decimals >= 0:
            return a.copy() if out is None else _copy_to(a, out)
        raise NotImplementedError("around of integers with negative decimals")
    if decimals == 0:
        return ufuncs.rint(a, out=out)
    body = "y = (R)(rint((float)_x0 * _x1) / _x1)"
    if decimals < 0:
        body = "y = (R)(rint((float)_x0 / _x1) * _x1)"
    factor = np.float32(10.0 ** abs(decimals))
    return _launch("wp_around", [a, factor], a.dtype, body, out=out)


round = round_ = around


def _copy_to(a: ndarray, out: ndarray) -> ndarray:
    out[...] = a
    return out


def conj(a, out=None):
    a = asarray(a)
    if a.dtype.kind == "c":
        return _complex.apply("conjugate", [a], out=out)
    return a.copy() if out is None else _copy_to(a, out)


conjugate = conj


def real(a):
    """The real part (a view for a device array, as NumPy's)."""
    return asarray(a).real


def imag(a):
    return asarray(a).imag


def angle(z, deg=False):
    """The argument of each element, atan2(imag, real) (radians, or degrees if `deg`)."""
    z = asarray(z)
    if z.dtype.kind == "c":
        result = _complex.apply("angle", [z])
    else:
        result = ufuncs.arctan2(0, z)
    return ufuncs.multiply(result, 180 / np.pi, out=result) if deg else result
