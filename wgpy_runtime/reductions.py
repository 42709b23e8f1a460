"""Reductions with NumPy's result dtypes: `sum prod mean var std max min argmax argmin
any all count_nonzero`, plus the scans `cumsum cumprod` (`_scan`).

Rule: every reduction is a `ReductionKernel` generated for concrete dtypes (map, reduce,
post-map as CuPy writes its own reductions); multi-step statistics chain them (var: mean,
then the squared deviations). argmax takes one pass over (order key, index) pairs, or for
64-bit values and the fast policy the max, then the first index reaching it. NumPy's
errors for empty reductions without identity are raised before any launch. Complex
`sum` reduces the (re, im) components as a real array, complex `prod` is a tree of complex
multiplications (`_complex.prod`) and complex `mean` divides the sum as NumPy does.
"""

from __future__ import annotations

import builtins
import functools

import numpy as np

from . import _complex, _dtypes, _shapes, indexing, ufuncs
from . import _scan as _scan_mod
from .creation import asarray
from .kernel import ReductionKernel
from .ndarray import ndarray


@functools.cache
def _kernel(
    name: str,
    in_params: str,
    out_dtype: np.dtype,
    map_expr: str,
    reduce_expr: str,
    post: str,
    identity: str,
    reduce_type: str,
    sort: bool = True,
    preamble: str = "",
) -> ReductionKernel:
    kernel = ReductionKernel(
        in_params,
        f"{out_dtype.name} y",
        map_expr,
        reduce_expr,
        post,
        identity,
        name,
        reduce_type=reduce_type,
        preamble=preamble,
    )
    kernel.sort_reduce_axis = sort
    return kernel


def _as_array(a) -> ndarray:
    return asarray(a)  # device arrays pass through


def _finish(result: ndarray, out):
    if out is None:
        return result
    if out.shape != result.shape:
        raise ValueError(
            f"output parameter for reduction operation has the wrong shape "
            f"{out.shape}, expected {result.shape}"
        )
    out[...] = result
    return out


def _accumulator(dtype: np.dtype) -> str:
    """The C type sums are accumulated in (float16 in float, as NumPy does pairwise)."""
    return "float" if dtype.kind == "f" and dtype.itemsize < 4 else _dtypes.ctype(dtype)


def sum_dtype(dtype: np.dtype) -> np.dtype:
    """NumPy's add.reduce default: small integers and bool widen to the default int."""
    if dtype.kind == "b" or dtype.kind == "i":
        return np.dtype(np.int64)
    if dtype.kind == "u":
        return np.dtype(np.uint64)
    return dtype


def _fold(name, a: ndarray, axis, keepdims, out, out_dtype, reduce_expr, identity):
    kernel = _fold_kernel(name, a.dtype, out_dtype, reduce_expr, identity)
    if _reduces_into(a, axis, keepdims, out, out_dtype):
        return kernel(a, axis=axis, keepdims=keepdims, out=out)
    return _finish(kernel(a, axis=axis, keepdims=keepdims), out)


def _reduces_into(a: ndarray, axis, keepdims: bool, out, dtype: np.dtype) -> bool:
    """Whether the reduction can write `out` itself: of the result's dtype and shape, and
    in a buffer apart from `a`'s (which it reads while writing)."""
    if type(out) is not ndarray or out.dtype != dtype or out._buf is a._buf:
        return False
    axes = _shapes.normalize_axes(axis, a.ndim)
    return out.shape == _shapes.reduced_shape(a.shape, axes, keepdims)


@functools.cache
def _fold_kernel(name, dtype, out_dtype, reduce_expr, identity) -> ReductionKernel:
    """`_fold`'s kernel, found without formatting its strings on every call."""
    out_dtype = _dtypes.normalize(out_dtype)
    acc = _accumulator(out_dtype)
    return _kernel(
        f"wp_{name}",
        f"{dtype.name} x",
        out_dtype,
        f"({acc})x",
        reduce_expr,
        f"y = ({_dtypes.ctype(out_dtype)})a",
        identity,
        acc,
    )


def sum(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    a = _as_array(a)
    out_dtype = sum_dtype(a.dtype) if dtype is None else np.dtype(dtype)
    if out_dtype.kind == "c":
        return _finish(_complex_sum(a, axis, keepdims, out_dtype), out)
    return _fold("sum", a, axis, keepdims, out, out_dtype, "a + b", "0")


def _complex_sum(a: ndarray, axis, keepdims: bool, dtype: np.dtype) -> ndarray:
    """A complex sum: the sums of the real and of the imaginary parts."""
    component = _dtypes.component(dtype)
    if a.dtype.kind != "c":
        return sum(a, axis, component, keepdims=keepdims).astype(dtype)
    axes = _shapes.normalize_axes(axis, a.ndim)
    pairs = _fold("sum", a._pair(), axes, keepdims, None, component, "a + b", "0")
    return _complex.from_pair(pairs)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    a = _as_array(a)
    out_dtype = sum_dtype(a.dtype) if dtype is None else np.dtype(dtype)
    if out_dtype.kind == "c":
        return _finish(_complex.prod(a, axis, out_dtype, keepdims), out)
    return _fold("prod", a, axis, keepdims, out, out_dtype, "a * b", "1")


def _check_identityless(name: str, a: ndarray, axis) -> None:
    axes = _shapes.normalize_axes(axis, a.ndim)
    if a.size == 0 and builtins.any(a.shape[d] == 0 for d in axes):
        out_size = 1
        for d in range(a.ndim):
            out_size *= 1 if d in axes else a.shape[d]
        if out_size or not axes:
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity")


def _extreme(dtype: np.dtype, maximum: bool) -> str:
    """The identity of max (the lowest value) or min (the highest) as held on the GPU."""
    if dtype.kind == "f":
        return "-INFINITY" if maximum else "INFINITY"
    if dtype.kind == "b":
        return "false" if maximum else "true"
    info = np.iinfo(_dtypes.storage(dtype))
    return f"({_dtypes.ctype(dtype)})({info.min if maximum else info.max})"


def _minmax(name, a, axis, out, keepdims, maximum: bool):
    a = _as_array(a)
    _check_identityless(name, a, axis)
    kernel = _minmax_kernel(name, a.dtype, maximum)
    return _finish(kernel(a, axis=axis, keepdims=keepdims), out)


@functools.cache
def _minmax_kernel(name: str, dtype: np.dtype, maximum: bool) -> ReductionKernel:
    """`_minmax`'s kernel, found without formatting its strings on every call."""
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return _float_extreme(name, dtype, maximum)
    op = ">" if maximum else "<"
    if dtype.kind == "f":
        reduce_expr = f"(a {op} b || isnan(a)) ? a : b"
    else:
        reduce_expr = f"(a {op} b) ? a : b"
    ct = _accumulator(dtype)
    return _kernel(
        f"wp_{name}",
        f"{dtype.name} x",
        dtype,
        f"({ct})x",
        reduce_expr,
        f"y = ({_dtypes.ctype(dtype)})a",
        _extreme(dtype, maximum),
        ct,
    )


# float32/float16 max and min fold unsigned keys that order as the values do (flipped for
# min; NaN above everything, as the first NaN wins in NumPy): an element costs one unsigned
# max in the fold's chain of combines instead of a compare, a NaN test and a select, which
# kept whole-array max() at three quarters of CuPy's bandwidth. Equal zeros give +0.0 for
# max and -0.0 for min (IEEE 754's maximum and minimum). NaN is told by its bits, not by a
# ternary on a call, so that the map is branch-free code whose loads a fold can issue
# together (GLSL max(): 15 -> 20.5 GB/s on the H100's GL).
_TOTAL_KEY = """
__device__ unsigned int wp_total_key(float x, unsigned int flip) {
    unsigned int b = __float_as_uint(x);
    unsigned int key = ((b & 0x80000000u) ? ~b : (b | 0x80000000u)) ^ flip;
    return (b & 0x7FFFFFFFu) > 0x7F800000u ? 0xFFFFFFFFu : key;
}
__device__ float wp_from_total_key(unsigned int k) {
    return k == 0xFFFFFFFFu ? NAN : __uint_as_float((k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k);
}
"""


def _float_extreme(name: str, dtype: np.dtype, maximum: bool) -> ReductionKernel:
    sense = "" if maximum else "~"
    return _kernel(
        f"wp_{name}_key",
        f"{dtype.name} x",
        dtype,
        f"wp_total_key((float)x, {_flip(maximum)})",
        "a > b ? a : b",
        f"y = ({_dtypes.ctype(dtype)})wp_from_total_key(a == 0xFFFFFFFFu ? a : {sense}a)",
        "0u",
        "unsigned int",
        preamble=_TOTAL_KEY,
    )


def amax(a, axis=None, out=None, keepdims=False, **kwargs):
    return _minmax("maximum", a, axis, out, keepdims, True)


def amin(a, axis=None, out=None, keepdims=False, **kwargs):
    return _minmax("minimum", a, axis, out, keepdims, False)


max = amax
min = amin


def _arg(name, a, axis, out, keepdims, maximum: bool):
    """First index of the extreme along `axis` (a flat index for axis=None); NaN wins,
    as in NumPy."""
    a = _as_array(a)
    if a.size == 0:
        raise ValueError(f"attempt to get {name} of an empty sequence")
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis = _shapes.normalize_axis(axis, a.ndim)
    if _ORDER_KEY.get(a.dtype.kind if a.dtype.itemsize <= 4 else None) and _dtypes.exact64():
        kernel = _arg_key_kernel(name, a.dtype, maximum)
        return _finish(kernel(a, axis=axis, keepdims=keepdims), out)
    extreme = _minmax("maximum" if maximum else "minimum", a, axis, None, True, maximum)
    result = _arg_hit_kernel(name, a.dtype)(a, extreme, axis=axis, keepdims=keepdims)
    return _finish(result, out)


@functools.cache
def _arg_key_kernel(name: str, dtype: np.dtype, maximum: bool) -> ReductionKernel:
    """One pass: the largest (key, -index) pair."""
    key = _ORDER_KEY[dtype.kind].format(flip=_flip(maximum))
    return _kernel(
        f"wp_{name}_key",
        f"{dtype.name} x",
        np.dtype(np.int64),
        _ARG_KEY.format(key=key),
        "a > b ? a : b",
        "y = (long long)(0xFFFFFFFFu - (unsigned int)(a & 0xFFFFFFFFull))",
        "0",
        "unsigned long long",
        False,
        _FLOAT_KEY,
    )


@functools.cache
def _arg_hit_kernel(name: str, dtype: np.dtype) -> ReductionKernel:
    """Two passes: the first index whose element equals the extreme `m`."""
    hit = "(x == m || (isnan(x) && isnan(m)))" if dtype.kind == "f" else "(x == m)"
    return _kernel(
        f"wp_{name}",
        f"{dtype.name} x, {dtype.name} m",
        np.dtype(np.int64),
        f"{hit} ? (int)_J : 2147483647",  # (device indices fit in int32)
        "a < b ? a : b",
        "y = (long long)a",
        "2147483647",
        "int",
        False,
    )


# One-pass argmax/argmin: each element's key is an unsigned number that orders as its
# value does (flipped for argmin), NaN above everything (NumPy: the first NaN wins), -0.0
# as 0.0; the reduction takes the largest (key << 32 | 0xFFFFFFFF - J), so among equal
# keys the first index. Needs exact 64-bit integers and values of at most 32 bits.
# Keys flipped (`^ flip`) for argmin; a float NaN's key is the largest either way.
_ORDER_KEY = {
    "b": "((unsigned int)x ^ {flip})",
    "u": "((unsigned int)x ^ {flip})",
    "i": "((unsigned int)(int)x ^ 0x80000000u ^ {flip})",
    "f": "wp_float_key((float)x, {flip})",
}
# wp_total_key with the zeros made equal (the first of them wins).
_FLOAT_KEY = (
    _TOTAL_KEY
    + """
__device__ unsigned int wp_float_key(float x, unsigned int flip) {
    return wp_total_key(x == 0.0f ? 0.0f : x, flip);
}
"""
)
_ARG_KEY = "(unsigned long long){key} << 32 | (unsigned long long)(0xFFFFFFFFu - (unsigned int)_J)"


def _flip(maximum: bool) -> str:
    return "0u" if maximum else "0xFFFFFFFFu"


def argmax(a, axis=None, out=None, *, keepdims=False):
    return _arg("argmax", a, axis, out, keepdims, True)


def argmin(a, axis=None, out=None, *, keepdims=False):
    return _arg("argmin", a, axis, out, keepdims, False)


def _logical(name, a, axis, out, keepdims, reduce_expr, identity):
    a = _as_array(a)
    kernel = _kernel(
        f"wp_{name}",
        f"{a.dtype.name} x",
        np.dtype(bool),
        "x != 0",
        reduce_expr,
        "y = a",
        identity,
        "bool",
    )
    return _finish(kernel(a, axis=axis, keepdims=keepdims), out)


def any(a, axis=None, out=None, keepdims=False, **kwargs):
    return _logical("any", a, axis, out, keepdims, "a || b", "false")


def all(a, axis=None, out=None, keepdims=False, **kwargs):
    return _logical("all", a, axis, out, keepdims, "a && b", "true")


def count_nonzero(a, axis=None, *, keepdims=False):
    a = _as_array(a)
    kernel = _kernel(
        "wp_count_nonzero",
        f"{a.dtype.name} x",
        np.dtype(np.int64),
        "(long long)(x != 0)",
        "a + b",
        "y = a",
        "0",
        "long long",
    )
    return kernel(a, axis=axis, keepdims=keepdims)


def mean_dtype(dtype: np.dtype) -> np.dtype:
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    a = _as_array(a)
    out_dtype = _dtypes.normalize(dtype if dtype is not None else mean_dtype(a.dtype))
    if out_dtype.kind == "c":  # NumPy: the sum, divided by the count as a complex
        total = _complex_sum(a, axis, keepdims, out_dtype)
        count = a.size // builtins.max(total.size, 1) if a.size else 0
        return _finish(_complex.apply("true_divide", [total, count], out_dtype), out)
    kernel = _mean_kernel(a.dtype, out_dtype)
    return _finish(kernel(a, axis=axis, keepdims=keepdims), out)


@functools.cache
def _mean_kernel(dtype: np.dtype, out_dtype: np.dtype) -> ReductionKernel:
    """`mean`'s kernel, found without formatting its strings on every call."""
    acc = _accumulator(out_dtype)  # float64 means in double, as NumPy's
    post = f"y = ({_dtypes.ctype(out_dtype)})(a / {_count(acc)})"
    return _kernel("wp_mean", f"{dtype.name} x", out_dtype, f"({acc})x", "a + b", post, "0", acc)


def _count(acc: str) -> str:
    """The number of elements reduced into each output, as the accumulator's C type."""
    return f"({acc})(_in_ind.size() / _out_ind.size())"


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    return _moment("var", a, axis, dtype, out, ddof, keepdims, "V")


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    return _moment("std", a, axis, dtype, out, ddof, keepdims, "sqrt(V)")


def _moment(name, a, axis, dtype, out, ddof, keepdims, finish: str):
    a = _as_array(a)
    if a.dtype.kind == "c":  # NumPy: the mean of |x - mean|^2, a real number
        parts = (
            _moment("var", part, axis, None, None, ddof, keepdims, "V") for part in (a.real, a.imag)
        )
        variance = ufuncs.add(*parts)
        result = ufuncs.sqrt(variance) if name == "std" else variance
        return _finish(result.astype(dtype) if dtype is not None else result, out)
    out_dtype = _dtypes.normalize(dtype if dtype is not None else mean_dtype(a.dtype))
    mu = mean(a, axis=axis, dtype=out_dtype, keepdims=True)
    kernel = _moment_kernel(name, a.dtype, out_dtype, finish)
    return _finish(kernel(a, mu, float(ddof), axis=axis, keepdims=keepdims), out)


@functools.cache
def _moment_kernel(name: str, dtype: np.dtype, out_dtype: np.dtype, finish: str):
    """`_moment`'s kernel, found without formatting its strings on every call."""
    acc = _accumulator(out_dtype)
    value = f"(a / ({_count(acc)} - ddof))"
    post = f"y = ({_dtypes.ctype(out_dtype)})({finish.replace('V', value)})"
    ddof_dtype = np.result_type(out_dtype, np.float32)  # float16 moments accumulate in float
    return _kernel(
        f"wp_{name}",
        f"{dtype.name} x, {out_dtype.name} mu, {ddof_dtype.name} ddof",
        out_dtype,
        f"(({acc})x - ({acc})mu) * (({acc})x - ({acc})mu)",
        "a + b",
        post,
        "0",
        acc,
    )


def _scan(op: _scan_mod.ScanOp, a, axis, dtype, out):
    """An inclusive scan along `axis` (of the flattened array for None); the default dtype
    is sum's and prod's (small integers widen)."""
    a = _as_array(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis = _shapes.normalize_axis(axis, a.ndim)
    out_dtype = _dtypes.normalize(dtype if dtype is not None else sum_dtype(a.dtype))
    moved = a.swapaxes(axis, -1)
    if not moved._c_contiguous:
        moved = moved.copy()
    result = ndarray(moved.shape, out_dtype, device=a.device)
    _scan_mod.scan_rows(op, moved, result)
    return _finish(result.swapaxes(axis, -1), out)


def cumsum(a, axis=None, dtype=None, out=None):
    """Inclusive prefix sums along `axis` (flattened for None): a blocked parallel scan."""
    return _scan(_scan_mod.ADD, a, axis, dtype, out)


def cumprod(a, axis=None, dtype=None, out=None):
    """Inclusive prefix products along `axis` (flattened for None)."""
    return _scan(_scan_mod.MULTIPLY, a, axis, dtype, out)


def nonzero(a):
    return indexing.nonzero(a)
