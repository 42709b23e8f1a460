"""Complex arrays: how complex operations reach the GPU, which has no complex type.

A complex64/complex128 array is an `ndarray` whose buffer holds interleaved (re, im)
pairs of float32/float64 (NumPy's layout; `_dtypes` converts on transfer), so shapes,
strides, views and indexing are those of any array. `ndarray._pair()` is the same memory
as a real array with a trailing axis of 2; complex arithmetic runs on those components.

Rule: every complex operation is one generated `ElementwiseKernel` per routine of
`_complex_table` and argument kinds, written in C over the component type, so kernelc
compiles it for both targets and, for complex128 under the exact 64-bit policy, computes
it in exact float64. A complex result is written through its pair view, one invocation
per component (the last loop axis, `i & 1`, picks re or im): each output is one real
array, dense where the result is, on every target. Real operands join as (x, 0), as NumPy
converts them.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from . import _dtypes, _launch, _shapes
from ._complex_table import OPS, preamble
from ._memory import ComponentBuffer
from .kernel import ElementwiseKernel
from .ndarray import ndarray

try:
    from numpy.exceptions import ComplexWarning
except ImportError:  # NumPy before 1.25
    from numpy import ComplexWarning


def complex_of(dtype) -> np.dtype:
    """The complex dtype a `dtype` value joins complex arithmetic as (NumPy's promotion)."""
    return np.result_type(np.dtype(dtype), np.complex64)


def result_dtype(name: str, loop: np.dtype) -> np.dtype:
    """The dtype of routine `name`'s result in the complex `loop`."""
    kind = OPS[name].result
    return (
        loop if kind == "complex" else _dtypes.component(loop) if kind == "real" else np.dtype(bool)
    )


# ---------------------------------------------------------------------------- kernels


def _arg_kind(a, component: np.dtype) -> tuple[str, np.dtype]:
    """'c' a complex array (its component dtype), 'r' a real array, 's' a scalar (passed
    as two values of the loop's component dtype)."""
    if not isinstance(a, ndarray):
        return ("s", component)
    return ("c", _dtypes.component(a.dtype)) if a.dtype.kind == "c" else ("r", a.dtype)


@functools.cache
def _kernel(name: str, kinds: tuple, component: np.dtype, out: np.dtype) -> ElementwiseKernel:
    op = OPS[name]
    params, body = [], []
    for k, (kind, dtype) in enumerate(kinds):
        params.append(f"{dtype.name} _r{k}")
        body.append(f"T in{k}r = (T)_r{k};")
        if kind == "r":
            body.append(f"T in{k}i = 0;")
        else:
            params.append(f"{dtype.name} _i{k}")
            body.append(f"T in{k}i = (T)_i{k};")
    if op.result == "complex":
        out_param = _dtypes.component(out)
        body += ["T out0r;", "T out0i;", op.body.strip() + ";"]
        body.append("y = (R)((i & 1) != 0 ? out0i : out0r);")
    else:
        out_param = out
        body += [f"{'bool' if op.result == 'bool' else 'T'} out0;", op.body.strip() + ";"]
        body.append("y = (R)out0;")
    text = f"typedef {_dtypes.ctype(component)} T;\ntypedef {_dtypes.ctype(out_param)} R;\n"
    return ElementwiseKernel(
        ", ".join(params),
        f"{out_param.name} y",
        "\n".join(body),
        f"wp_complex_{name}",
        preamble=text + preamble(op),
    )


def launch(name: str, args, loop: np.dtype, out: ndarray) -> None:
    """out[...] = routine `name` of `args` (arrays of any dtype, NumPy or Python scalars)
    computed in the complex dtype `loop`; `out` has the broadcast shape."""
    if name not in OPS:
        raise TypeError(f"ufunc '{name}' is not supported for complex dtypes by wgpy_runtime")
    if name == "power":
        args = (*args, _general_power(*args, loop))
    component = _dtypes.component(loop)
    kinds = tuple(_arg_kind(a, component) for a in args)
    lanes = OPS[name].result == "complex"
    if lanes and out.dtype.kind != "c":
        raise TypeError(f"complex results of '{name}' cannot be written to a {out.dtype} array")
    values = []
    for a, (kind, _) in zip(args, kinds):
        if kind == "s":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ComplexWarning)
                v = np.asarray(a).astype(complex_of(component))[()]
            values += [component.type(v.real), component.type(v.imag)]
        elif kind == "c":
            p = a._pair()
            values += [p[..., 0:1], p[..., 1:2]] if lanes else [p[..., 0], p[..., 1]]
        else:
            values.append(a[..., None] if lanes else a)
    _kernel(name, kinds, component, out.dtype)(*values, out._pair() if lanes else out)


def _general_power(a, b, loop: np.dtype):
    """exp(b * log(a)) for `power`'s general case, in three launches; 0 when the exponent
    is a scalar the general case never reaches (0, or an integer below 100 in size)."""
    if not isinstance(b, ndarray):
        v = complex(np.asarray(b).astype(loop)[()])
        if v.imag == 0 and abs(v.real) < 100 and v.real == int(v.real):
            return 0
    if not isinstance(a, ndarray):  # a scalar base: its log on the host
        with np.errstate(all="ignore"):
            a_log = np.log(np.asarray(a).astype(loop))[()]
        return apply("exp", [apply("multiply", [b, a_log], loop)], loop)
    return apply("exp", [apply("multiply", [apply("log", [a], loop), b], loop)], loop)


def apply(name: str, args, loop: np.dtype | None = None, out: ndarray | None = None) -> ndarray:
    """Routine `name` over `args` in `loop` (default: the complex dtype of the arrays'
    promoted dtype) into `out` or a new array."""
    arrays = [a for a in args if isinstance(a, ndarray)]
    loop = complex_of(np.result_type(*(a.dtype for a in arrays))) if loop is None else loop
    if out is None:
        shape = _shapes.broadcast_shapes(*(a.shape for a in arrays))
        out = ndarray(shape, result_dtype(name, loop), device=arrays[0].device)
    if out.size:
        launch(name, args, loop, out)
    return out


# ---------------------------------------------------------------------------- values


def fill(dst: ndarray, value) -> None:
    """dst[...] = value (a scalar, or an array of one element) for a complex `dst`."""
    if isinstance(value, ndarray):
        value = value.get()
    value = np.asarray(value).reshape(())[()]
    if dst.size:
        launch("positive", [value], dst.dtype, dst)


def cast_into(src: ndarray, dst: ndarray) -> None:
    """dst[...] = src where either is complex, as NumPy casts: a real value is (x, 0), a
    complex one becomes its real part (ComplexWarning) or, for bool, `z != 0`."""
    if dst.dtype.kind == "c":
        launch("positive", [src], dst.dtype, dst)
    elif dst.dtype.kind == "b":
        launch("nonzero", [src], src.dtype, dst)
    else:
        warnings.warn(
            "Casting complex values to real discards the imaginary part",
            ComplexWarning,
            stacklevel=4,
        )
        launch("real", [src], src.dtype, dst)


def from_pair(p: ndarray) -> ndarray:
    """The complex array whose (re, im) pairs are the last axis of the real array `p`: a
    view when `p` is one of a complex buffer's components, else a copy."""
    buf, strides = p._buf, p._strides
    if (
        isinstance(buf, ComponentBuffer)
        and (strides[-1] == 1 or p.shape[-1] == 1)
        and p._offset % 2 == 0
        and all(s % 2 == 0 for s in strides[:-1])
    ):
        return ndarray._view(
            buf.owner, p.shape[:-1], [s // 2 for s in strides[:-1]], p._offset // 2
        )
    out = ndarray(p.shape[:-1], complex_of(p.dtype), device=p.device)
    _launch.copy_into(out._pair(), p)
    return out


# ---------------------------------------------------------------------------- reductions


def prod(a: ndarray, axis, dtype: np.dtype, keepdims: bool) -> ndarray:
    """The product over `axis` as a tree of complex multiplications (log2 of the reduced
    length launches; NumPy multiplies in order, so results agree to rounding)."""
    a = a if a.dtype == dtype else apply("positive", [a], dtype)
    axes = _shapes.normalize_axes(axis, a.ndim)
    keep = [d for d in range(a.ndim) if d not in axes]
    kept = tuple(a.shape[d] for d in keep)
    k = 1
    for d in axes:
        k *= a.shape[d]
    shape = _shapes.reduced_shape(a.shape, axes, keepdims)
    if k == 0 or 0 in kept:
        result = ndarray(kept, dtype, device=a.device)
        fill(result, 1)
        return result.reshape(shape)
    x = a.transpose(keep + list(axes)).reshape(kept + (k,))
    if k == 1:  # nothing to multiply: still a new array
        x = apply("positive", [x], dtype)
    while k > 1:
        half = k // 2
        y = apply("multiply", [x[..., :half], x[..., half : 2 * half]], dtype)
        if k % 2:
            apply("multiply", [y[..., :1], x[..., 2 * half :]], dtype, out=y[..., :1])
        x, k = y, half
    return x.reshape(shape)
