"""numpy.fft's complex transforms on the device: `fft ifft fft2 ifft2 fftn ifftn` (`n`/`s`,
`axis`/`axes`, every `norm`), in NumPy 2's dtypes (complex64 from float32/float16/
complex64, else complex128).

Rule: a transform runs along the last axis of a contiguous copy, on its (re, im) pairs,
and each invocation writes one component of one output (no scatter: both targets, no
loop past the length). A power-of-two length is a radix-2 decimation in time: a
bit-reversing gather, then log2(n) butterfly launches; any other length is the direct
sum, one invocation per output component looping over the n inputs (O(n^2) work, exact
twiddles from the integer j * k mod n). Twiddles come from `sinpi`/`cospi`, so angles
are exact fractions of pi. NumPy's pocketfft rounds otherwise: results agree to the
transform's precision, not bit for bit.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _complex, _shapes
from .creation import asarray, zeros
from .kernel import ElementwiseKernel
from .manipulation import concatenate, moveaxis
from .ndarray import into_out, ndarray

_NORMS = (None, "backward", "ortho", "forward")
# Element `e` of row `row` (its first element's index) that invocation `i` writes component
# `c` (0: re, 1: im) of, in rows of n complex elements held as (re, im) pairs.
_ELEMENT = """
        int c = i % 2;
        int e = (i / 2) % n;
        int row = i / 2 - e;"""


def _trig(dtype: np.dtype) -> tuple[str, str]:
    return ("cospif", "sinpif") if dtype == np.float32 else ("cospi", "sinpi")


@functools.cache
def _bit_reverse() -> ElementwiseKernel:
    """y[row, e] = x[row, reverse(e)] over (re, im) pairs, rows of n = 2**bits."""
    return ElementwiseKernel(
        "raw T x, int32 n, int32 bits",
        "T y",
        _ELEMENT
        + """
        int r = 0;
        int v = e;
        for (int b = 0; b < bits; ++b) {
            r = (r << 1) | (v & 1);
            v >>= 1;
        }
        y = x[(row + r) * 2 + c];
        """,
        "wp_fft_bit_reverse",
    )


@functools.cache
def _butterfly(dtype: np.dtype) -> ElementwiseKernel:
    """One radix-2 stage: blocks of 2 * half, the lower half gets a + w^t b, the upper
    a - w^t b, w = exp(sign * i pi / half)."""
    cos, sin = _trig(dtype)
    return ElementwiseKernel(
        "raw T x, int32 n, int32 half, int32 sign",
        "T y",
        _ELEMENT
        + f"""
        int q = e % (2 * half);
        int t = q < half ? q : q - half;
        int lo = row + e - q + t;
        T ar = x[lo * 2], ai = x[lo * 2 + 1];
        T br = x[(lo + half) * 2], bi = x[(lo + half) * 2 + 1];
        T angle = (T)t / (T)half;
        T wr = {cos}(angle), wi = (T)sign * {sin}(angle);
        T pr = br * wr - bi * wi, pim = br * wi + bi * wr;
        T s = q < half ? (T)1 : (T)-1;
        y = c == 0 ? ar + s * pr : ai + s * pim;
        """,
        f"wp_fft_butterfly_{dtype.name}",
    )


@functools.cache
def _direct(dtype: np.dtype) -> ElementwiseKernel:
    """y[row, e] = sum_j x[row, j] exp(sign * 2 pi i j e / n), j * e taken mod n."""
    cos, sin = _trig(dtype)
    return ElementwiseKernel(
        "raw T x, int32 n, int32 sign",
        "T y",
        _ELEMENT
        + f"""
        T sr = 0, si = 0;
        int m = 0;
        for (int j = 0; j < n; ++j) {{
            T angle = (T)(2 * m) / (T)n;
            T wr = {cos}(angle), wi = (T)sign * {sin}(angle);
            T xr = x[(row + j) * 2], xi = x[(row + j) * 2 + 1];
            sr += xr * wr - xi * wi;
            si += xr * wi + xi * wr;
            m += e;
            if (m >= n) m -= n;
        }}
        y = c == 0 ? sr : si;
        """,
        f"wp_fft_direct_{dtype.name}",
    )


def _complex_dtype(dtype: np.dtype) -> np.dtype:
    if dtype in (np.float16, np.float32, np.complex64):
        return np.dtype(np.complex64)
    if dtype.kind in "biufc":
        return np.dtype(np.complex128)
    raise TypeError(f"fft of {dtype} arrays is not supported")


def _transform(a, n, axis: int, norm, inverse: bool) -> ndarray:
    a = asarray(a)
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    if a.ndim == 0:
        raise np.exceptions.AxisError(f"axis {axis} is out of bounds for array of dimension 0")
    axis = _shapes.normalize_axis(axis, a.ndim)
    length = a.shape[axis] if n is None else int(n)
    if length < 1:
        raise ValueError(f"Invalid number of FFT data points ({length}) specified.")
    ctype = _complex_dtype(np.dtype(a.dtype))
    x = moveaxis(a, axis, -1).astype(ctype)
    if x.shape[-1] > length:
        x = x[..., :length]
    elif x.shape[-1] < length:
        pad = zeros((*x.shape[:-1], length - x.shape[-1]), ctype, device=x.device)
        x = concatenate([x, pad], axis=-1)
    y = _along_last(x.copy(), length, inverse)
    if norm == "ortho":
        y = y * (1 / math.sqrt(length))
    elif (norm == "forward") != inverse:  # "forward" scales fft, the default ifft
        y = y * (1 / length)
    return moveaxis(y, -1, axis)


def _along_last(x: ndarray, n: int, inverse: bool) -> ndarray:
    """The transform of a C-contiguous complex array along its last axis (length n)."""
    pairs = x._pair()  # (..., n, 2), contiguous
    real = np.dtype(pairs.dtype)
    size = pairs.size
    sign = 1 if inverse else -1
    flat = pairs.reshape(-1)
    if n & (n - 1) == 0:
        bits = n.bit_length() - 1
        flat = _bit_reverse()(flat, n, bits, size=size)
        half = 1
        while half < n:
            flat = _butterfly(real)(flat, n, half, sign, size=size)
            half *= 2
    else:
        flat = _direct(real)(flat, n, sign, size=size)
    return _complex.from_pair(flat.reshape(pairs.shape))


def fft(a, n=None, axis=-1, norm=None, out=None):
    return into_out(_transform(a, n, axis, norm, False), out)


def ifft(a, n=None, axis=-1, norm=None, out=None):
    return into_out(_transform(a, n, axis, norm, True), out)


def _axes(a: ndarray, s, axes) -> tuple[list, list]:
    """numpy.fft's (s, axes) of an n-dimensional transform."""
    if axes is None:
        axes = list(range(-(len(s) if s is not None else a.ndim), 0))
    axes = list(axes) if not isinstance(axes, int) else [axes]
    s = [None] * len(axes) if s is None else list(s)
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return s, axes


def _nd(a, s, axes, norm, out, inverse: bool) -> ndarray:
    a = asarray(a)
    s, axes = _axes(a, s, axes)
    for n, axis in reversed(list(zip(s, axes))):  # the last axis first, as NumPy
        a = _transform(a, n, axis, norm, inverse)
    return into_out(a, out)


def fftn(a, s=None, axes=None, norm=None, out=None):
    return _nd(a, s, axes, norm, out, False)


def ifftn(a, s=None, axes=None, norm=None, out=None):
    return _nd(a, s, axes, norm, out, True)


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return fftn(a, s, axes, norm, out)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return ifftn(a, s, axes, norm, out)
